import type { Broker } from '../broker.js';
import type { Reader, Writer } from '../codec.js';

export interface RequestContext {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string;
  /** Kafka's form, e.g. "/127.0.0.1", shown by DescribeGroups. */
  readonly clientHost: string;
  /** Runs `cb` if the connection closes first; returns the function that cancels this. */
  onConnectionClose(cb: () => void): () => void;
}

/** A response body, or null for requests that get no response (Produce with acks=0). */
export type ResponseBody = Writer | null;

export type Handler = (broker: Broker, body: Reader, ctx: RequestContext) => ResponseBody | Promise<ResponseBody>;

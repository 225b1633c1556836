import type { Type } from 'avsc';
import {
  type CompatibilityLevel,
  type VersionedType,
  DEFAULT_COMPATIBILITY,
  findIncompatibilities,
  parseCompatibilityLevel,
} from './compatibility.js';
import {
  RegistryError,
  incompatibleSchema,
  referenceExists,
  schemaIdNotFound,
  schemaNotFoundUnderSubject,
  subjectConfigNotFound,
  subjectNotFound,
  versionNotFound,
} from './errors.js';
import { type SchemaInput, type SchemaReference, SCHEMA_TYPES, parseAvro, schemaIdentity } from './schemas.js';

export interface StoredSchema extends SchemaInput {
  readonly id: number;
}

export interface SubjectVersion {
  readonly subject: string;
  readonly version: number;
  readonly schema: StoredSchema;
}

/** 'latest' or a concrete version number, already validated by the HTTP layer. */
export type VersionSelector = 'latest' | number;

interface SubjectRecord {
  versions: { version: number; id: number }[];
  // Version numbers are not reused after a single version is deleted, like Confluent.
  nextVersion: number;
}

/** The on-disk shape; arrays rather than objects keyed by subject so any subject name is safe. */
export interface RegistrySnapshot {
  readonly format: 1;
  readonly nextId: number;
  readonly compatibility: CompatibilityLevel;
  readonly schemas: readonly StoredSchema[];
  readonly subjects: readonly { name: string; nextVersion: number; versions: { version: number; id: number }[] }[];
  readonly subjectCompatibility: readonly { subject: string; compatibility: CompatibilityLevel }[];
}

/**
 * All registry state and the rules that change it. Every method is synchronous, so a request's
 * check-then-mutate can never interleave with another request's.
 */
export class RegistryState {
  private nextId = 1;
  private globalLevel: CompatibilityLevel = DEFAULT_COMPATIBILITY;
  // Schemas are never removed: ids stay resolvable after their subjects are deleted, so
  // messages already on a topic can still be decoded.
  private readonly schemas = new Map<number, StoredSchema>();
  private readonly idsByIdentity = new Map<string, number>();
  private readonly identities = new Map<number, string>();
  private readonly subjects = new Map<string, SubjectRecord>();
  private readonly subjectLevels = new Map<string, CompatibilityLevel>();
  private readonly parsedAvro = new Map<number, Type>();
  /** Bumped on every change, so the server knows when there is something to persist. */
  revision = 0;

  // ---- schemas ----

  schemaById(id: number): StoredSchema {
    const schema = this.schemas.get(id);
    if (!schema) throw schemaIdNotFound(id);
    return schema;
  }

  /** Every live subject/version that uses schema `id`. */
  usagesOf(id: number): { subject: string; version: number }[] {
    this.schemaById(id);
    const usages: { subject: string; version: number }[] = [];
    for (const [subject, record] of this.sortedSubjects()) {
      for (const v of record.versions) if (v.id === id) usages.push({ subject, version: v.version });
    }
    return usages;
  }

  // ---- subjects ----

  subjectNames(prefix = ''): string[] {
    return this.sortedSubjects().map(([name]) => name).filter((name) => name.startsWith(prefix));
  }

  versionsOf(subject: string): number[] {
    return this.subject(subject).versions.map((v) => v.version);
  }

  getVersion(subject: string, selector: VersionSelector): SubjectVersion {
    const record = this.subject(subject);
    const entry =
      selector === 'latest' ? record.versions[record.versions.length - 1] : record.versions.find((v) => v.version === selector);
    if (!entry) throw versionNotFound(subject, selector === 'latest' ? -1 : selector);
    return { subject, version: entry.version, schema: this.schemaById(entry.id) };
  }

  /** Finds `input` among the versions of `subject` (POST /subjects/{subject}). */
  lookup(subject: string, input: SchemaInput): SubjectVersion {
    const identity = this.validate(input).identity;
    const record = this.subject(subject);
    const entry = record.versions.find((v) => this.identities.get(v.id) === identity);
    if (!entry) throw schemaNotFoundUnderSubject(subject);
    return { subject, version: entry.version, schema: this.schemaById(entry.id) };
  }

  /**
   * Registers `input` under `subject`. An identical schema already in the subject returns its
   * existing version without a compatibility check; an identical schema elsewhere keeps its id.
   */
  register(subject: string, input: SchemaInput): SubjectVersion {
    const { identity, avro } = this.validate(input);
    const record = this.subjects.get(subject);
    const existing = record?.versions.find((v) => this.identities.get(v.id) === identity);
    if (record && existing) {
      return { subject, version: existing.version, schema: this.schemaById(existing.id) };
    }
    if (record && avro) {
      const problems = findIncompatibilities(this.effectiveLevel(subject), avro, this.avroVersions(subject, record.versions));
      if (problems.length > 0) throw incompatibleSchema(subject, problems);
    }
    let id = this.idsByIdentity.get(identity);
    if (id === undefined) {
      id = this.nextId++;
      this.storeSchema({ id, schemaType: input.schemaType, schema: input.schema, references: input.references }, identity);
    }
    const target = record ?? { versions: [], nextVersion: 1 };
    const version = target.nextVersion++;
    target.versions.push({ version, id });
    this.subjects.set(subject, target);
    this.revision++;
    return { subject, version, schema: this.schemaById(id) };
  }

  /**
   * Why `input` would be refused under the subject's level; empty = compatible. A numbered
   * version is checked alone; 'latest' (which needs the subject to exist) and undefined check what
   * registration would, so transitive levels look at every version, as in Confluent.
   */
  compatibilityProblems(subject: string, input: SchemaInput, selector: VersionSelector | undefined): string[] {
    const { avro } = this.validate(input);
    let versions: readonly { version: number; id: number }[];
    if (typeof selector === 'number') {
      const target = this.getVersion(subject, selector);
      versions = [{ version: target.version, id: target.schema.id }];
    } else if (selector === 'latest') {
      versions = this.subject(subject).versions;
    } else {
      versions = this.subjects.get(subject)?.versions ?? [];
    }
    if (!avro) return [];
    return findIncompatibilities(this.effectiveLevel(subject), avro, this.avroVersions(subject, versions));
  }

  deleteSubject(subject: string): number[] {
    const record = this.subject(subject);
    for (const v of record.versions) this.assertUnreferenced(subject, v.version);
    this.subjects.delete(subject);
    // A deleted subject starts from scratch if registered again, including its config:
    // otherwise a client re-registering with another level would be refused.
    this.subjectLevels.delete(subject);
    this.revision++;
    return record.versions.map((v) => v.version);
  }

  deleteVersion(subject: string, selector: VersionSelector): number {
    const record = this.subject(subject);
    const { version } = this.getVersion(subject, selector);
    this.assertUnreferenced(subject, version);
    record.versions = record.versions.filter((v) => v.version !== version);
    if (record.versions.length === 0) this.subjects.delete(subject);
    this.revision++;
    return version;
  }

  /** Ids of live schemas whose references point at `subject`/`version`. */
  referencedBy(subject: string, selector: VersionSelector): number[] {
    const { version } = this.getVersion(subject, selector);
    const live = new Set<number>();
    for (const record of this.subjects.values()) for (const v of record.versions) live.add(v.id);
    return [...live]
      .sort((a, b) => a - b)
      .filter((id) => this.schemaById(id).references.some((r) => r.subject === subject && r.version === version));
  }

  // ---- config ----

  get globalCompatibility(): CompatibilityLevel {
    return this.globalLevel;
  }

  setGlobalCompatibility(level: CompatibilityLevel): void {
    this.globalLevel = level;
    this.revision++;
  }

  /** The subject's own level; 40408 when it has none unless the caller asks for the global fallback. */
  subjectCompatibility(subject: string, defaultToGlobal: boolean): CompatibilityLevel {
    const level = this.subjectLevels.get(subject);
    if (level) return level;
    if (defaultToGlobal) return this.globalLevel;
    throw subjectConfigNotFound(subject);
  }

  setSubjectCompatibility(subject: string, level: CompatibilityLevel): void {
    this.subjectLevels.set(subject, level);
    this.revision++;
  }

  deleteSubjectCompatibility(subject: string): CompatibilityLevel {
    const level = this.subjectCompatibility(subject, false);
    this.subjectLevels.delete(subject);
    this.revision++;
    return level;
  }

  effectiveLevel(subject: string): CompatibilityLevel {
    return this.subjectLevels.get(subject) ?? this.globalLevel;
  }

  // ---- persistence ----

  snapshot(): RegistrySnapshot {
    return {
      format: 1,
      nextId: this.nextId,
      compatibility: this.globalLevel,
      schemas: [...this.schemas.values()],
      subjects: [...this.subjects].map(([name, r]) => ({ name, nextVersion: r.nextVersion, versions: r.versions })),
      subjectCompatibility: [...this.subjectLevels].map(([subject, compatibility]) => ({ subject, compatibility })),
    };
  }

  /** Rebuilds state from a snapshot; throws a plain Error naming the first thing that is wrong. */
  static fromSnapshot(raw: unknown): RegistryState {
    const fail = (what: string): never => {
      throw new Error(`not a schema registry snapshot: ${what}`);
    };
    if (typeof raw !== 'object' || raw === null) fail('not an object');
    const snap = raw as Partial<Record<keyof RegistrySnapshot, unknown>>;
    if (snap.format !== 1) fail(`unknown format ${JSON.stringify(snap.format)}`);
    const state = new RegistryState();
    state.globalLevel = parseCompatibilityLevel(snap.compatibility) ?? fail('bad "compatibility"');
    if (!Array.isArray(snap.schemas) || !Array.isArray(snap.subjects) || !Array.isArray(snap.subjectCompatibility)) {
      fail('"schemas", "subjects" and "subjectCompatibility" must be arrays');
    }
    for (const s of snap.schemas as StoredSchema[]) {
      if (!Number.isInteger(s?.id) || typeof s.schema !== 'string' || !SCHEMA_TYPES.includes(s.schemaType)) {
        fail(`bad schema entry ${JSON.stringify(s)}`);
      }
      const stored: StoredSchema = { id: s.id, schemaType: s.schemaType, schema: s.schema, references: s.references ?? [] };
      state.storeSchema(stored, schemaIdentity(stored));
    }
    for (const s of snap.subjects as { name: string; nextVersion: number; versions: { version: number; id: number }[] }[]) {
      if (typeof s?.name !== 'string' || !Array.isArray(s.versions) || !Number.isInteger(s.nextVersion)) {
        fail(`bad subject entry ${JSON.stringify(s)}`);
      }
      for (const v of s.versions) if (!state.schemas.has(v?.id)) fail(`subject '${s.name}' uses unknown schema ${v?.id}`);
      state.subjects.set(s.name, { nextVersion: s.nextVersion, versions: s.versions.map((v) => ({ version: v.version, id: v.id })) });
    }
    for (const c of snap.subjectCompatibility as { subject: string; compatibility: unknown }[]) {
      const level = parseCompatibilityLevel(c?.compatibility);
      if (typeof c?.subject !== 'string' || !level) fail(`bad subject config ${JSON.stringify(c)}`);
      state.subjectLevels.set(c.subject, level as CompatibilityLevel);
    }
    const maxId = Math.max(0, ...state.schemas.keys());
    state.nextId = Number.isInteger(snap.nextId) ? Math.max(snap.nextId as number, maxId + 1) : maxId + 1;
    return state;
  }

  // ---- internals ----

  private subject(subject: string): SubjectRecord {
    const record = this.subjects.get(subject);
    if (!record) throw subjectNotFound(subject);
    return record;
  }

  private sortedSubjects(): [string, SubjectRecord][] {
    return [...this.subjects].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  private storeSchema(schema: StoredSchema, identity: string): void {
    this.schemas.set(schema.id, schema);
    this.identities.set(schema.id, identity);
    // On a snapshot holding duplicates (written by hand), the lowest id wins, as it would have live.
    if (!this.idsByIdentity.has(identity)) this.idsByIdentity.set(identity, schema.id);
  }

  /** Rejects invalid schemas (42201) and, for Avro, returns the parsed type for compatibility checks. */
  private validate(input: SchemaInput): { identity: string; avro: Type | undefined } {
    const identity = schemaIdentity(input);
    const resolve = (ref: SchemaReference): SchemaInput => this.getVersion(ref.subject, ref.version).schema;
    if (input.schemaType !== 'AVRO') {
      // JSON and Protobuf are stored as text, but their references must still point somewhere real.
      for (const ref of input.references) resolve(ref);
      return { identity, avro: undefined };
    }
    return { identity, avro: parseAvro(input, resolve) };
  }

  private avroVersions(subject: string, versions: readonly { version: number; id: number }[]): VersionedType[] {
    const result: VersionedType[] = [];
    for (const v of versions) {
      const schema = this.schemaById(v.id);
      if (schema.schemaType !== 'AVRO') continue;
      let type = this.parsedAvro.get(v.id);
      if (!type) {
        try {
          type = parseAvro(schema, (ref) => this.getVersion(ref.subject, ref.version).schema);
        } catch (err) {
          // A stored schema that no longer parses (its reference was force-removed from a hand-edited
          // snapshot) must not block the subject forever; report it rather than guess.
          throw new RegistryError(500, 50001, `stored schema ${v.id} of subject '${subject}' no longer parses: ${String(err)}`);
        }
        this.parsedAvro.set(v.id, type);
      }
      result.push({ version: v.version, type });
    }
    return result;
  }

  private assertUnreferenced(subject: string, version: number): void {
    const ids = this.referencedBy(subject, version);
    if (ids.length > 0) throw referenceExists(subject, version, ids);
  }
}

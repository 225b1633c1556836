import { describe, expect, it } from 'vitest';
import {
  mapActionIqEvent, mapAudienceMembership, mapUserAttributes, membershipAttributeName,
} from '../../../../src/partners/actioniq/mappers.js';

const options = { attributePrefix: 'AIQ' };
const membership = {
  audience_id: '1024', split_id: '2', member: true, external_id: 'user-123', updated_at: 1714557600000,
};

describe('mapAudienceMembership', () => {
  it('names the attribute <prefix>_<audience id>_<split id>', () => {
    expect(membershipAttributeName('AIQ', '1024', '2')).toBe('AIQ_1024_2');
  });

  it('writes false once the user has left the split', () => {
    expect(mapAudienceMembership({ ...membership, member: false }, options)).toEqual({
      type: 'ops',
      ops: [{ kind: 'track.attributes', user: { external_id: 'user-123' }, attributes: { AIQ_1024_2: false } }],
    });
  });

  it('rejects an attribute name longer than Braze allows', () => {
    expect(mapAudienceMembership({ ...membership, audience_id: 'a'.repeat(250) }, options)).toMatchObject({
      type: 'invalid', code: 'braze_limit',
    });
  });

  it('rejects ids that are not strings', () => {
    expect(mapAudienceMembership({ ...membership, audience_id: 1024 }, options)).toEqual({
      type: 'invalid', code: 'invalid_field', detail: 'field audience_id must be a string',
    });
  });
});

describe('mapUserAttributes', () => {
  const record = { external_id: 'user-123', updated_at: '2024-05-01T10:00:00Z' };

  it('writes the attribute values as given', () => {
    expect(mapUserAttributes({ ...record, attributes: { tier: 'gold', ltv: 10.5, orders: 3 } }, options))
      .toEqual({
        type: 'ops',
        ops: [{ kind: 'track.attributes', user: { external_id: 'user-123' }, attributes: { tier: 'gold', ltv: 10.5, orders: 3 } }],
      });
  });

  it('skips a record whose attributes map is absent', () => {
    expect(mapUserAttributes(record, options)).toEqual({ type: 'skip', reason: 'no_attributes' });
  });

  it('dead-letters the whole record when one attribute is invalid, without quoting its value', () => {
    const result = mapUserAttributes({ ...record, attributes: { tier: 'gold', phone: 'jane-phone-number' } }, options);
    expect(result).toEqual({ type: 'invalid', code: 'invalid_phone', detail: 'field attributes.phone is not a phone number Braze accepts' });
  });
});

describe('mapActionIqEvent', () => {
  const event = { name: 'aiq_cart_abandoned', braze_id: 'b-1', timestamp: '2024-05-01T12:00:00+02:00' };

  it('uses the record timestamp as the event time', () => {
    expect(mapActionIqEvent(event, options)).toEqual({
      type: 'ops',
      ops: [{ kind: 'track.event', user: { braze_id: 'b-1' }, name: 'aiq_cart_abandoned', time: '2024-05-01T10:00:00.000Z' }],
    });
  });

  it('leaves properties out when every value is null', () => {
    const result = mapActionIqEvent({ ...event, properties: { a: null } }, options);
    expect(result.type === 'ops' && result.ops[0]).not.toHaveProperty('properties');
  });

  it('rejects an event name longer than 255 characters', () => {
    expect(mapActionIqEvent({ ...event, name: 'e'.repeat(256) }, options)).toMatchObject({ type: 'invalid', code: 'braze_limit' });
  });

  it('rejects a string property longer than 255 characters, naming the property', () => {
    expect(mapActionIqEvent({ ...event, properties: { note: 'n'.repeat(256) } }, options)).toEqual({
      type: 'invalid', code: 'braze_limit', detail: 'field properties.note is longer than 255 characters',
    });
  });
});

// Which services a signing config selects (sigstore-go's rules), and how attest-blob reads --type
// and the predicate (cosign's rules). Pure: no services run here.
import { createHash } from 'node:crypto';
import {
  buildStatement,
  COSIGN_CUSTOM_PREDICATE_TYPE,
  PREDICATE_TYPE_SHORTHANDS,
  predicateTypeOf,
  servicesFromSigningConfig,
} from '@airlock/client';
import { buildSigningConfig, type ServiceInput } from '@airlock/trust';
import { describe, expect, it } from 'vitest';

const NOW = new Date('2026-07-01T00:00:00Z');
const since = (start: string, end?: string) => ({
  validFor: { start: new Date(start), ...(end ? { end: new Date(end) } : {}) },
});
const service = (url: string, operator: string, start = '2026-01-01T00:00:00Z', end?: string) =>
  ({ url, operator, ...since(start, end) }) satisfies ServiceInput;

describe('signing config selection', () => {
  it('picks the newest API version with a valid log, newest first, one per operator', () => {
    const config = buildSigningConfig({
      caUrls: [
        service('https://ca-old.test', 'a.test', '2025-01-01T00:00:00Z'),
        service('https://ca-new.test', 'a.test', '2026-03-01T00:00:00Z'),
        service('https://ca-future.test', 'a.test', '2027-01-01T00:00:00Z'),
      ],
      rekorTlogUrls: [
        { ...service('https://v1.test', 'a.test', '2025-01-01T00:00:00Z'), majorApiVersion: 1 },
        {
          ...service(
            'https://v2-ended.test',
            'a.test',
            '2025-06-01T00:00:00Z',
            '2026-02-01T00:00:00Z',
          ),
          majorApiVersion: 2,
        },
        { ...service('https://v2.test', 'a.test', '2026-02-01T00:00:00Z'), majorApiVersion: 2 },
      ],
      tsaUrls: [service('https://tsa.test/api/v1/timestamp', 'a.test')],
    });
    expect(servicesFromSigningConfig(config, NOW)).toEqual({
      caUrl: 'https://ca-new.test',
      tlogs: [{ url: 'https://v2.test', majorApiVersion: 2 }],
      tsaUrls: ['https://tsa.test/api/v1/timestamp'],
    });
    // Before any v2 log is valid, the v1 log is the one; a log is valid up to its end, inclusive.
    expect(servicesFromSigningConfig(config, new Date('2025-03-01T00:00:00Z')).tlogs).toEqual([
      { url: 'https://v1.test', majorApiVersion: 1 },
    ]);
    expect(servicesFromSigningConfig(config, new Date('2026-01-15T00:00:00Z')).tlogs).toEqual([
      { url: 'https://v2-ended.test', majorApiVersion: 2 },
    ]);
    expect(servicesFromSigningConfig(config, new Date('2026-02-01T00:00:00Z')).tlogs).toEqual([
      { url: 'https://v2.test', majorApiVersion: 2 },
    ]);
  });

  it('honours ALL and EXACT, and refuses EXACT when too few operators run a valid log', () => {
    const logs = [
      {
        ...service('https://a1.test', 'a.test', '2026-02-01T00:00:00Z'),
        majorApiVersion: 1 as const,
      },
      { ...service('https://a2.test', 'a.test'), majorApiVersion: 1 as const },
      { ...service('https://b.test', 'b.test'), majorApiVersion: 1 as const },
    ];
    const all = buildSigningConfig({ rekorTlogUrls: logs, rekorTlogConfig: { selector: 'ALL' } });
    expect(servicesFromSigningConfig(all, NOW).tlogs.map((t) => t.url)).toEqual([
      'https://a1.test',
      'https://b.test',
    ]);
    const exact2 = buildSigningConfig({
      rekorTlogUrls: logs,
      rekorTlogConfig: { selector: 'EXACT', count: 2 },
    });
    expect(servicesFromSigningConfig(exact2, NOW).tlogs).toHaveLength(2);
    const exact3 = buildSigningConfig({
      rekorTlogUrls: logs,
      rekorTlogConfig: { selector: 'EXACT', count: 3 },
    });
    expect(() => servicesFromSigningConfig(exact3, NOW)).toThrow(
      expect.objectContaining({ code: 'NO_SERVICE' }),
    );
  });

  it('selects nothing from lists that are empty or not yet valid', () => {
    const config = buildSigningConfig({
      rekorTlogUrls: [
        { ...service('https://later.test', 'a.test', '2027-01-01T00:00:00Z'), majorApiVersion: 1 },
      ],
    });
    expect(servicesFromSigningConfig(config, NOW)).toEqual({ tlogs: [], tsaUrls: [] });
  });
});

describe('attest-blob statements', () => {
  const artifact = Buffer.from('artifact');
  const digest = createHash('sha256').update(artifact).digest('hex');

  it("maps cosign's --type shorthands and passes URIs through", () => {
    expect(PREDICATE_TYPE_SHORTHANDS).toMatchObject({
      slsaprovenance: 'https://slsa.dev/provenance/v0.2',
      slsaprovenance1: 'https://slsa.dev/provenance/v1',
      cyclonedx: 'https://cyclonedx.org/bom',
      spdx: 'https://spdx.dev/Document',
      spdxjson: 'https://spdx.dev/Document',
      vuln: 'https://cosign.sigstore.dev/attestation/vuln/v1',
      openvex: 'https://openvex.dev/ns',
      custom: 'https://cosign.sigstore.dev/attestation/v1',
    });
    expect(predicateTypeOf('https://example.test/predicate/v1')).toBe(
      'https://example.test/predicate/v1',
    );
    expect(predicateTypeOf('urn:example:predicate')).toBe('urn:example:predicate');
    for (const bad of ['slsaprovenance2', '', 'not a uri', 'https://'])
      expect(() => predicateTypeOf(bad)).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT' }),
      );
  });

  it('reads the predicate as cosign does: JSON, spdx text, or custom text with a timestamp', () => {
    const json = buildStatement({
      artifact,
      artifactName: 'a.bin',
      predicate: '{"k":1}',
      type: 'openvex',
    });
    expect(json).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'a.bin', digest: { sha256: digest } }],
      predicateType: 'https://openvex.dev/ns',
      predicate: { k: 1 },
    });
    expect(
      buildStatement({
        artifact,
        artifactName: 'a',
        predicate: 'SPDXVersion: SPDX-2.3',
        type: 'spdx',
      }).predicate,
    ).toBe('SPDXVersion: SPDX-2.3');
    const custom = buildStatement({
      artifact,
      artifactName: 'a',
      predicate: 'free text',
      type: 'custom',
      now: new Date('2026-07-01T12:34:56.789Z'),
    });
    expect(custom.predicateType).toBe(COSIGN_CUSTOM_PREDICATE_TYPE);
    expect(custom.predicate).toEqual({ Data: 'free text', Timestamp: '2026-07-01T12:34:56Z' });
    expect(() =>
      buildStatement({ artifact, artifactName: 'a', predicate: '"a string"', type: 'spdxjson' }),
    ).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});

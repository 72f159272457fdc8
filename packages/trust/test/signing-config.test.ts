// signing_config v0.2: the shape and API versions clients select services by, and configs they would
// reject or misuse are refused.
import {
  buildSigningConfig,
  parseSigningConfig,
  SIGNING_CONFIG_MEDIA_TYPE,
  servicesValidAt,
  TrustError,
} from '@airlock/trust';
import { describe, expect, it } from 'vitest';

const start = '2026-01-01T00:00:00Z';
const operator = 'airlock.test';

const config = () =>
  buildSigningConfig({
    caUrls: [{ url: 'https://fulcio.airlock.test', validFor: { start }, operator }],
    oidcUrls: [{ url: 'https://idp.airlock.test/realms/eng', validFor: { start }, operator }],
    rekorTlogUrls: [
      { url: 'https://rekor.airlock.test', majorApiVersion: 1, validFor: { start }, operator },
      {
        url: 'https://log2026-1.rekor.airlock.test',
        majorApiVersion: 2,
        validFor: { start: new Date('2026-06-01T00:00:00Z') },
        operator,
      },
    ],
    tsaUrls: [{ url: 'https://tsa.airlock.test/api/v1/timestamp', validFor: { start }, operator }],
  });

function expectTrustError(action: () => unknown, code: string, message: RegExp): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(TrustError);
  expect((thrown as TrustError).code).toBe(code);
  expect((thrown as TrustError).message).toMatch(message);
}

describe('buildSigningConfig', () => {
  it('writes the v0.2 form with the API versions clients select by', () => {
    expect(config()).toEqual({
      mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.2+json',
      caUrls: [
        { url: 'https://fulcio.airlock.test', majorApiVersion: 1, validFor: { start }, operator },
      ],
      oidcUrls: [
        {
          url: 'https://idp.airlock.test/realms/eng',
          majorApiVersion: 1,
          validFor: { start },
          operator,
        },
      ],
      rekorTlogUrls: [
        { url: 'https://rekor.airlock.test', majorApiVersion: 1, validFor: { start }, operator },
        {
          url: 'https://log2026-1.rekor.airlock.test',
          majorApiVersion: 2,
          validFor: { start: '2026-06-01T00:00:00Z' },
          operator,
        },
      ],
      rekorTlogConfig: { selector: 'ANY' },
      tsaUrls: [
        {
          url: 'https://tsa.airlock.test/api/v1/timestamp',
          majorApiVersion: 1,
          validFor: { start },
          operator,
        },
      ],
      tsaConfig: { selector: 'ANY' },
    });
    expect(parseSigningConfig(JSON.stringify(config()))).toEqual(config());
    expect(SIGNING_CONFIG_MEDIA_TYPE).toBe(config().mediaType);
  });

  it('takes a selector as given', () => {
    const exact = buildSigningConfig({
      tsaConfig: { selector: 'EXACT', count: 2 },
      rekorTlogConfig: { selector: 'ALL' },
    });
    expect(exact.tsaConfig).toEqual({ selector: 'EXACT', count: 2 });
    expect(exact.rekorTlogConfig).toEqual({ selector: 'ALL' });
  });

  it('lists the services valid at a time, newest first', () => {
    const at = (time: string) =>
      servicesValidAt(config().rekorTlogUrls, time).map((s) => s.majorApiVersion);
    expect(at('2026-03-01T00:00:00Z')).toEqual([1]);
    expect(at('2026-07-01T00:00:00Z')).toEqual([2, 1]);
    expect(at('2025-07-01T00:00:00Z')).toEqual([]);
  });

  it('refuses configs clients would reject or misuse', () => {
    const service = { url: 'https://fulcio.airlock.test', validFor: { start }, operator };
    expectTrustError(
      // @ts-expect-error: the Rekor version is required, and the test proves it at run time too.
      () => buildSigningConfig({ rekorTlogUrls: [{ ...service }] }),
      'INVALID_INPUT',
      /majorApiVersion is required/,
    );
    expectTrustError(
      () => buildSigningConfig({ caUrls: [{ ...service, majorApiVersion: 2 }] }),
      'INVALID_SIGNING_CONFIG',
      /majorApiVersion 2 is not/,
    );
    expectTrustError(
      () => buildSigningConfig({ tsaUrls: [{ ...service, url: 'https://tsa.airlock.test' }] }),
      'INVALID_SIGNING_CONFIG',
      /full time-stamping URL/,
    );
    expectTrustError(
      () => buildSigningConfig({ caUrls: [{ ...service, url: 'ftp://fulcio' }] }),
      'INVALID_SIGNING_CONFIG',
      /http\(s\)/,
    );
    expectTrustError(
      () => buildSigningConfig({ caUrls: [{ ...service, operator: '' }] }),
      'INVALID_SIGNING_CONFIG',
      /operator is missing/,
    );
    expectTrustError(
      () => buildSigningConfig({ caUrls: [{ ...service, operator: 'https://airlock.test' }] }),
      'INVALID_SIGNING_CONFIG',
      /scheme-less/,
    );
    expectTrustError(
      () => buildSigningConfig({ tsaConfig: { selector: 'EXACT' } }),
      'INVALID_SIGNING_CONFIG',
      /positive integer/,
    );
    expectTrustError(
      () => buildSigningConfig({ caUrls: [{ ...service, validFor: { start: '' } }] }),
      'INVALID_INPUT',
      /not an RFC 3339 time/,
    );
    const parsed = JSON.parse(JSON.stringify(config()));
    delete parsed.caUrls[0].validFor.start;
    expectTrustError(
      () => parseSigningConfig(parsed),
      'INVALID_SIGNING_CONFIG',
      /caUrls\[0\]\.validFor\.start is missing/,
    );
    expectTrustError(
      () =>
        parseSigningConfig({
          ...config(),
          mediaType: 'application/vnd.dev.sigstore.signingconfig.v0.1+json',
        }),
      'INVALID_SIGNING_CONFIG',
      /mediaType/,
    );
    expectTrustError(
      () =>
        parseSigningConfig({ ...config(), tsaConfig: { selector: 'SERVICE_SELECTOR_UNDEFINED' } }),
      'INVALID_SIGNING_CONFIG',
      /not ALL, ANY or EXACT/,
    );
  });
});

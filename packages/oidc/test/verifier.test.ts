// IdentityVerifier end to end: real tokens from the test IdP through discovery + JWKS, hand-signed tokens
// for issuers the CA trusts through a static JWKS file, and one test per rejection.
import { createPublicKey } from 'node:crypto';
import { FULCIO_OID, IdentityVerifier, type OidcConfig, parseIssuerConfig } from '@airlock/oidc';
import type { JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestIdp, type TestIdp } from '../../../test/support/idp.js';
import {
  forgeToken,
  generateSigningKey,
  jwksOf,
  nowSeconds,
  type TestSigningKey,
} from '../../../test/support/jwt.js';
import { asyncOidcErrorCode, tempDir } from './support.js';

const BUILD_ISSUER = 'https://build.corp.example';
const K8S_ISSUER = 'https://k8s.corp.example';
const GITLAB_ISSUER = 'https://gitlab.corp.example';

let idp: TestIdp;
let staticKey: TestSigningKey;
let attackerKey: TestSigningKey;
let config: OidcConfig;
let verifier: IdentityVerifier;
const files = tempDir();

/** Claims every accepted token has: a 10-minute lifetime and Fulcio's audience. */
function claimsFor(iss: string, extra: JWTPayload = {}): JWTPayload {
  const now = nowSeconds();
  return { iss, aud: 'sigstore', iat: now, exp: now + 600, ...extra };
}

beforeAll(async () => {
  idp = await startTestIdp();
  staticKey = await generateSigningKey('ES256', 'corp-static-1');
  attackerKey = await generateSigningKey('ES256', 'attacker');
  const jwksFile = files.write('corp.jwks.json', jwksOf(staticKey));
  config = parseIssuerConfig({
    'oidc-issuers': {
      [idp.issuer]: { type: 'email' },
      // Same IdP, but configured with a trailing "/" its discovery document does not name.
      [`${idp.issuer}/`]: { type: 'email' },
      [BUILD_ISSUER]: { type: 'uri', 'subject-domain': BUILD_ISSUER, 'jwks-file': jwksFile },
      [K8S_ISSUER]: { type: 'kubernetes', 'jwks-file': jwksFile },
      [GITLAB_ISSUER]: {
        type: 'ci-provider',
        'ci-provider': 'gitlab-pipeline',
        'jwks-file': jwksFile,
      },
    },
    'meta-issuers': {
      'https://*.tenants.corp.example/oidc': { type: 'email' },
    },
    'ci-issuer-metadata': {
      'gitlab-pipeline': {
        'default-template-values': { url: GITLAB_ISSUER },
        'extension-templates': {
          'build-signer-uri': 'https://{{ .ci_config_ref_uri }}',
          'build-signer-digest': 'ci_config_sha',
          'runner-environment': 'runner_environment',
          'source-repository-uri': '{{ .url }}/{{ .project_path }}',
          'source-repository-digest': 'sha',
          'source-repository-ref': 'refs/heads/{{ .ref }}',
          'source-repository-identifier': 'project_id',
          'source-repository-owner-uri': '{{ .url }}/{{ .namespace_path }}',
          'source-repository-owner-identifier': 'namespace_id',
          'build-config-uri': 'https://{{ .ci_config_ref_uri }}',
          'build-config-digest': 'ci_config_sha',
          'build-trigger': 'pipeline_source',
          'run-invocation-uri': '{{ .url }}/{{ .project_path }}/-/jobs/{{ .job_id }}',
          'source-repository-visibility-at-signing': 'project_visibility',
        },
        'subject-alternative-name-template': 'https://{{ .ci_config_ref_uri }}',
      },
    },
  });
  verifier = new IdentityVerifier(config);
});

afterAll(async () => {
  await idp.close();
  files.remove();
});

describe('real tokens from the test IdP (discovery + JWKS)', () => {
  it('maps an authorization-code ID token to an email identity', async () => {
    const identity = await verifier.verify(await idp.tokenFor('alice@example.test'));
    expect(identity).toEqual({
      issuer: idp.issuer,
      tokenIssuer: idp.issuer,
      issuerType: 'email',
      subject: 'alice',
      san: { type: 'email', value: 'alice@example.test' },
      challenge: 'alice@example.test',
      extensions: { [FULCIO_OID.issuer]: idp.issuer, [FULCIO_OID.tokenSubject]: 'alice' },
    });
  });

  it('maps a client_credentials access token (CI bot) to its email', async () => {
    const identity = await verifier.verify(await idp.clientCredentialsToken('ci-bot'));
    expect(identity.san).toEqual({ type: 'email', value: 'ci-bot@ci.example.test' });
    expect(identity.subject).toBe('ci-bot');
    expect(identity.challenge).toBe('ci-bot@ci.example.test');
  });

  it('maps a device-flow ID token', async () => {
    const identity = await verifier.verify(await idp.deviceFlowToken('dave@example.test'));
    expect(identity.san).toEqual({ type: 'email', value: 'dave@example.test' });
  });

  it('rejects a real token whose email is not verified (EMAIL_NOT_VERIFIED)', async () => {
    expect(await asyncOidcErrorCode(verifier.verify(await idp.tokenFor('bob')))).toBe(
      'EMAIL_NOT_VERIFIED',
    );
  });

  it('rejects a real token without an email for an email issuer (CLAIM_MISSING)', async () => {
    expect(await asyncOidcErrorCode(verifier.verify(await idp.tokenFor('carol')))).toBe(
      'CLAIM_MISSING',
    );
  });

  it('rejects a token naming the IdP but signed by another key under its kid (BAD_SIGNATURE)', async () => {
    const token = await forgeToken(
      claimsFor(idp.issuer, { sub: 'alice', email: 'alice@example.test', email_verified: true }),
      {
        key: attackerKey,
        kid: idp.signingKid,
      },
    );
    expect(await asyncOidcErrorCode(verifier.verify(token))).toBe('BAD_SIGNATURE');
  });

  it('rejects a token naming the IdP with a kid the IdP does not publish (UNKNOWN_KEY)', async () => {
    const token = await forgeToken(
      claimsFor(idp.issuer, { sub: 'alice', email: 'alice@example.test', email_verified: true }),
      {
        key: attackerKey,
      },
    );
    expect(await asyncOidcErrorCode(verifier.verify(token))).toBe('UNKNOWN_KEY');
  });

  it('rejects when discovery names another issuer than the token (ISSUER_MISMATCH)', async () => {
    const token = await forgeToken(
      claimsFor(`${idp.issuer}/`, {
        sub: 'alice',
        email: 'alice@example.test',
        email_verified: true,
      }),
      {
        key: attackerKey,
      },
    );
    expect(await asyncOidcErrorCode(verifier.verify(token))).toBe('ISSUER_MISMATCH');
  });

  it('accepts a token through a meta-issuer pattern that matches the IdP', async () => {
    const metaVerifier = new IdentityVerifier(
      parseIssuerConfig({ 'meta-issuers': { 'http://127.0.0.1:*': { type: 'email' } } }),
    );
    const identity = await metaVerifier.verify(await idp.tokenFor('alice'));
    expect(identity.issuer).toBe(idp.issuer);
    expect(identity.san.value).toBe('alice@example.test');
  });
});

describe('issuers trusted through a static JWKS file', () => {
  it('maps a uri issuer token to a URI SAN and challenge = sub', async () => {
    const sub = `${BUILD_ISSUER}/pipelines/release`;
    const identity = await verifier.verify(
      await forgeToken(claimsFor(BUILD_ISSUER, { sub }), { key: staticKey }),
    );
    expect(identity).toEqual({
      issuer: BUILD_ISSUER,
      tokenIssuer: BUILD_ISSUER,
      issuerType: 'uri',
      subject: sub,
      san: { type: 'uri', value: sub },
      challenge: sub,
      extensions: { [FULCIO_OID.issuer]: BUILD_ISSUER, [FULCIO_OID.tokenSubject]: sub },
    });
  });

  it('maps a kubernetes service-account token to its namespace/serviceaccount URI', async () => {
    const sub = 'system:serviceaccount:release:builder';
    const token = await forgeToken(
      claimsFor(K8S_ISSUER, {
        sub,
        'kubernetes.io': { namespace: 'release', serviceaccount: { name: 'builder', uid: 'a1b2' } },
      }),
      { key: staticKey },
    );
    const identity = await verifier.verify(token);
    expect(identity.san).toEqual({
      type: 'uri',
      value: 'https://kubernetes.io/namespaces/release/serviceaccounts/builder',
    });
    expect(identity.challenge).toBe(sub);
    expect(identity.extensions).toEqual({
      [FULCIO_OID.issuer]: K8S_ISSUER,
      [FULCIO_OID.tokenSubject]: sub,
    });
  });

  it('rejects a kubernetes namespace that is not a Kubernetes name (INVALID_CLAIM)', async () => {
    const token = await forgeToken(
      claimsFor(K8S_ISSUER, {
        sub: 'x',
        'kubernetes.io': { namespace: '../admin', serviceaccount: { name: 'builder' } },
      }),
      { key: staticKey },
    );
    expect(await asyncOidcErrorCode(verifier.verify(token))).toBe('INVALID_CLAIM');
  });

  const gitlabClaims = {
    sub: 'project_path:platform/airlock:ref_type:branch:ref:main',
    namespace_id: 7,
    namespace_path: 'platform',
    project_id: '42',
    project_path: 'platform/airlock',
    pipeline_id: '1001',
    pipeline_source: 'push',
    job_id: '5005',
    ref: 'main',
    ref_type: 'branch',
    runner_environment: 'self-hosted',
    sha: '0123456789abcdef0123456789abcdef01234567',
    project_visibility: 'internal',
    ci_config_ref_uri: 'gitlab.corp.example/platform/airlock//.gitlab-ci.yml@refs/heads/main',
    ci_config_sha: 'fedcba9876543210fedcba9876543210fedcba98',
  };

  it('renders ci-provider templates from GitLab-like claims into exact extension values', async () => {
    const identity = await verifier.verify(
      await forgeToken(claimsFor(GITLAB_ISSUER, gitlabClaims), { key: staticKey }),
    );
    const configUri =
      'https://gitlab.corp.example/platform/airlock//.gitlab-ci.yml@refs/heads/main';
    expect(identity.san).toEqual({ type: 'uri', value: configUri });
    expect(identity.challenge).toBe(gitlabClaims.sub);
    expect(identity.extensions).toEqual({
      '1.3.6.1.4.1.57264.1.8': GITLAB_ISSUER,
      '1.3.6.1.4.1.57264.1.9': configUri,
      '1.3.6.1.4.1.57264.1.10': 'fedcba9876543210fedcba9876543210fedcba98',
      '1.3.6.1.4.1.57264.1.11': 'self-hosted',
      '1.3.6.1.4.1.57264.1.12': 'https://gitlab.corp.example/platform/airlock',
      '1.3.6.1.4.1.57264.1.13': '0123456789abcdef0123456789abcdef01234567',
      '1.3.6.1.4.1.57264.1.14': 'refs/heads/main',
      '1.3.6.1.4.1.57264.1.15': '42',
      '1.3.6.1.4.1.57264.1.16': 'https://gitlab.corp.example/platform',
      '1.3.6.1.4.1.57264.1.17': '7',
      '1.3.6.1.4.1.57264.1.18': configUri,
      '1.3.6.1.4.1.57264.1.19': 'fedcba9876543210fedcba9876543210fedcba98',
      '1.3.6.1.4.1.57264.1.20': 'push',
      '1.3.6.1.4.1.57264.1.21': 'https://gitlab.corp.example/platform/airlock/-/jobs/5005',
      '1.3.6.1.4.1.57264.1.22': 'internal',
      '1.3.6.1.4.1.57264.1.24': gitlabClaims.sub,
    });
    expect(Object.keys(identity.extensions)).toEqual(
      Object.keys(identity.extensions).sort(
        (a, b) => Number(a.split('.').at(-1)) - Number(b.split('.').at(-1)),
      ),
    );
  });

  it('lets a token claim override a template default', async () => {
    const token = await forgeToken(
      claimsFor(GITLAB_ISSUER, { ...gitlabClaims, url: 'https://mirror.corp.example' }),
      {
        key: staticKey,
      },
    );
    const identity = await verifier.verify(token);
    expect(identity.extensions[FULCIO_OID.sourceRepositoryUri]).toBe(
      'https://mirror.corp.example/platform/airlock',
    );
  });

  it('rejects a ci-provider token missing a claim a template references (CLAIM_MISSING)', async () => {
    const { job_id: _omitted, ...withoutJob } = gitlabClaims;
    const token = await forgeToken(claimsFor(GITLAB_ISSUER, withoutJob), { key: staticKey });
    expect(await asyncOidcErrorCode(verifier.verify(token))).toBe('CLAIM_MISSING');
  });
});

describe('rejections', () => {
  const sub = `${BUILD_ISSUER}/pipelines/release`;
  const sign = (
    claims: JWTPayload,
    options: Parameters<typeof forgeToken>[1] = { key: staticKey },
  ) => forgeToken(claims, options);
  const codeOf = async (token: string | Promise<string>) =>
    asyncOidcErrorCode(verifier.verify(await token));

  it('accepts the control token these cases are variations of', async () => {
    await expect(
      verifier.verify(await sign(claimsFor(BUILD_ISSUER, { sub }))),
    ).resolves.toMatchObject({ subject: sub });
  });

  it('expired (TOKEN_EXPIRED)', async () => {
    const now = nowSeconds();
    expect(
      await codeOf(sign(claimsFor(BUILD_ISSUER, { sub, iat: now - 3600, exp: now - 120 }))),
    ).toBe('TOKEN_EXPIRED');
  });

  it('expired by less than the allowed skew is still accepted', async () => {
    const now = nowSeconds();
    await expect(
      verifier.verify(await sign(claimsFor(BUILD_ISSUER, { sub, iat: now - 600, exp: now - 30 }))),
    ).resolves.toBeDefined();
  });

  it('not yet valid: nbf in the future beyond the skew (TOKEN_NOT_YET_VALID)', async () => {
    expect(await codeOf(sign(claimsFor(BUILD_ISSUER, { sub, nbf: nowSeconds() + 300 })))).toBe(
      'TOKEN_NOT_YET_VALID',
    );
  });

  it('issued in the future beyond the skew (TOKEN_NOT_YET_VALID)', async () => {
    expect(await codeOf(sign(claimsFor(BUILD_ISSUER, { sub, iat: nowSeconds() + 300 })))).toBe(
      'TOKEN_NOT_YET_VALID',
    );
  });

  it('without exp (CLAIM_MISSING)', async () => {
    const { exp: _omitted, ...noExp } = claimsFor(BUILD_ISSUER, { sub });
    expect(await codeOf(sign(noExp))).toBe('CLAIM_MISSING');
  });

  it('wrong audience (WRONG_AUDIENCE)', async () => {
    expect(await codeOf(sign(claimsFor(BUILD_ISSUER, { sub, aud: 'kubernetes' })))).toBe(
      'WRONG_AUDIENCE',
    );
  });

  it('unknown issuer (UNKNOWN_ISSUER)', async () => {
    expect(await codeOf(sign(claimsFor('https://idp.elsewhere.example', { sub })))).toBe(
      'UNKNOWN_ISSUER',
    );
  });

  it('an issuer that no meta-issuer pattern matches (UNKNOWN_ISSUER)', async () => {
    // The pattern's "*" stands for one label: two labels do not match.
    const iss = 'https://a.b.tenants.corp.example/oidc';
    expect(
      await codeOf(
        sign(claimsFor(iss, { sub: 'x', email: 'x@corp.example', email_verified: true })),
      ),
    ).toBe('UNKNOWN_ISSUER');
  });

  it('alg none (ALG_NOT_ALLOWED)', async () => {
    expect(
      await codeOf(
        forgeToken(claimsFor(BUILD_ISSUER, { sub }), { alg: 'none', kid: staticKey.kid }),
      ),
    ).toBe('ALG_NOT_ALLOWED');
  });

  it('HS256 with the public key as the HMAC secret (ALG_NOT_ALLOWED)', async () => {
    const publicPem = createPublicKey({ key: staticKey.publicJwk, format: 'jwk' }).export({
      type: 'spki',
      format: 'pem',
    });
    const token = forgeToken(claimsFor(BUILD_ISSUER, { sub }), {
      alg: 'HS256',
      kid: staticKey.kid,
      key: new TextEncoder().encode(publicPem.toString()),
    });
    expect(await codeOf(token)).toBe('ALG_NOT_ALLOWED');
  });

  it('an allowed alg the issuer key does not have (UNKNOWN_KEY)', async () => {
    const rsa = await generateSigningKey('RS256', staticKey.kid);
    expect(await codeOf(sign(claimsFor(BUILD_ISSUER, { sub }), { key: rsa }))).toBe('UNKNOWN_KEY');
  });

  it('unknown kid (UNKNOWN_KEY)', async () => {
    expect(await codeOf(sign(claimsFor(BUILD_ISSUER, { sub }), { key: attackerKey }))).toBe(
      'UNKNOWN_KEY',
    );
  });

  it('forged signature: right kid, wrong key (BAD_SIGNATURE)', async () => {
    expect(
      await codeOf(
        sign(claimsFor(BUILD_ISSUER, { sub }), { key: attackerKey, kid: staticKey.kid }),
      ),
    ).toBe('BAD_SIGNATURE');
  });

  it('a tampered payload (BAD_SIGNATURE)', async () => {
    const [header, , signature] = (await sign(claimsFor(BUILD_ISSUER, { sub }))).split('.');
    const payload = Buffer.from(
      JSON.stringify(claimsFor(BUILD_ISSUER, { sub: `${BUILD_ISSUER}/admin` })),
    ).toString('base64url');
    expect(await codeOf(`${header}.${payload}.${signature}`)).toBe('BAD_SIGNATURE');
  });

  it.each([
    'https://build.corp.example.evil.example/pipelines/release',
    'https://evil.example/pipelines/release',
    'http://build.corp.example/pipelines/release',
    'https://build.corp.example@evil.example/x',
    'https://user@build.corp.example/x',
    'release-pipeline',
  ])('a sub not under the uri subject domain: %s (INVALID_CLAIM)', async (badSub) => {
    expect(await codeOf(sign(claimsFor(BUILD_ISSUER, { sub: badSub })))).toBe('INVALID_CLAIM');
  });

  it.each([
    ['empty', ''],
    ['one segment', 'abc'],
    ['two segments', 'abc.def'],
    ['bad base64 header', '***.eyJ9.sig'],
    ['header not JSON', `${Buffer.from('nope').toString('base64url')}.e30.sig`],
    ['five segments (JWE)', 'a.b.c.d.e'],
    ['too long', `${'a'.repeat(70_000)}.b.c`],
  ])('malformed token string: %s (MALFORMED_TOKEN)', async (_name, token) => {
    expect(await codeOf(token)).toBe('MALFORMED_TOKEN');
  });

  it('never echoes the token in the error message', async () => {
    const token = await sign(claimsFor(BUILD_ISSUER, { sub, aud: 'other' }));
    const error = await verifier.verify(token).then(
      () => new Error('expected a rejection'),
      (caught: Error) => caught,
    );
    expect(error.message).not.toContain(token.split('.')[2]);
    expect(error.message).not.toContain(token.split('.')[1]);
  });
});

// Issuer configuration: Fulcio's YAML/JSON shapes, validation messages naming the key, wildcard
// patterns, templates, and the /api/v2/configuration body.
import {
  compileMetaIssuerPattern,
  configurationResponse,
  DEFAULT_ALLOWED_ALGORITHMS,
  FULCIO_OID,
  parseClaimTemplate,
  parseIssuerConfig,
} from '@airlock/oidc';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { oidcError } from './support.js';

const FULL_YAML = `
oidc-issuers:
  https://keycloak.corp.example/realms/eng:
    issuer-url: https://keycloak.corp.example/realms/eng
    client-id: sigstore
    type: email
    issuer-claim: $.federated_claims.connector_id
  https://build.corp.example:
    type: uri
    subject-domain: https://workloads.corp.example
    jwks-file: keys/build.jwks.json
  https://gitlab.corp.example:
    type: ci-provider
    ci-provider: gitlab-pipeline
    allowed-algorithms: [RS256]
meta-issuers:
  https://oidc.eks.*.amazonaws.com/id/*:
    type: kubernetes
ci-issuer-metadata:
  gitlab-pipeline:
    default-template-values: { url: "https://gitlab.corp.example" }
    extension-templates:
      build-signer-uri: "https://{{ .ci_config_ref_uri }}"
      build-signer-digest: ci_config_sha
    subject-alternative-name-template: "https://{{ .ci_config_ref_uri }}"
`;

function configWith(issuer: Record<string, unknown>, url = 'https://idp.corp.example') {
  return { 'oidc-issuers': { [url]: issuer } };
}

describe('parseIssuerConfig', () => {
  it('reads the Fulcio YAML shape with defaults filled in', () => {
    const config = parseIssuerConfig(parseYaml(FULL_YAML), { baseDir: '/etc/airlock' });
    const keycloak = config.oidcIssuers.get('https://keycloak.corp.example/realms/eng');
    expect(keycloak).toEqual({
      issuerUrl: 'https://keycloak.corp.example/realms/eng',
      clientId: 'sigstore',
      type: 'email',
      skipEmailVerification: false,
      issuerClaim: '$.federated_claims.connector_id',
      allowedAlgorithms: DEFAULT_ALLOWED_ALGORITHMS,
    });
    expect(config.oidcIssuers.get('https://build.corp.example')?.jwksFile).toBe(
      '/etc/airlock/keys/build.jwks.json',
    );
    expect(config.oidcIssuers.get('https://gitlab.corp.example')?.allowedAlgorithms).toEqual([
      'RS256',
    ]);
    expect([...config.metaIssuers.keys()]).toEqual(['https://oidc.eks.*.amazonaws.com/id/*']);
    const gitlab = config.ciIssuerMetadata.get('gitlab-pipeline');
    expect(gitlab?.defaultTemplateValues.get('url')).toBe('https://gitlab.corp.example');
    expect([...(gitlab?.extensionTemplates.keys() ?? [])]).toEqual([
      'build-signer-uri',
      'build-signer-digest',
    ]);
  });

  it("reads Fulcio's JSON (Go field name) spelling too", () => {
    const config = parseIssuerConfig({
      OIDCIssuers: {
        'https://idp.corp.example': {
          IssuerURL: 'https://idp.corp.example',
          ClientID: 'airlock',
          Type: 'email',
          SkipEmailVerification: true,
        },
      },
    });
    expect(config.oidcIssuers.get('https://idp.corp.example')).toMatchObject({
      clientId: 'airlock',
      skipEmailVerification: true,
    });
  });

  it.each([
    [{ 'oidc-issuer': {} }, /unknown key "oidc-issuer"/],
    [{}, /no issuers/],
    [
      configWith({ type: 'email', 'skip-email-verfication': true }),
      /unknown key "skip-email-verfication"/,
    ],
    [
      configWith({ type: 'email', 'client-id': 'a', ClientID: 'b' }),
      /both "client-id" and "ClientID"/,
    ],
    [configWith({ 'client-id': 'sigstore' }), /"type" is required/],
    [configWith({ type: 'github-workflow' }), /\.type: legacy type "github-workflow"/],
    [configWith({ type: 'oauth' }), /unknown issuer type "oauth"/],
    [
      configWith({ type: 'email', 'issuer-url': 'https://other.example' }),
      /issuer-url: must equal the key/,
    ],
    [configWith({ type: 'email' }, 'idp.corp.example'), /is not a URL/],
    [configWith({ type: 'email' }, 'ftp://idp.corp.example'), /https:\/\//],
    [configWith({ type: 'email' }, 'https://idp.corp.example?x=1'), /query or fragment/],
    [configWith({ type: 'uri' }), /needs "subject-domain"/],
    [
      configWith({ type: 'uri', 'subject-domain': 'corp.example' }),
      /subject-domain: .* is not a URL/,
    ],
    [configWith({ type: 'uri', 'subject-domain': 'http://idp.corp.example' }), /same scheme/],
    [
      configWith({ type: 'uri', 'subject-domain': 'https://evil.example' }),
      /not in the issuer's domain/,
    ],
    [
      configWith({ type: 'username', 'subject-domain': 'https://corp.example' }),
      /bare domain name/,
    ],
    [
      configWith({ type: 'username', 'subject-domain': 'evil.example' }),
      /not in the issuer's domain/,
    ],
    [configWith({ type: 'spiffe' }), /needs "spiffe-trust-domain"/],
    [configWith({ type: 'spiffe', 'spiffe-trust-domain': 'Bad Domain' }), /not a valid SPIFFE/],
    [configWith({ type: 'ci-provider' }), /needs "ci-provider"/],
    [configWith({ type: 'ci-provider', 'ci-provider': 'nope' }), /ci-provider: names "nope"/],
    [
      configWith({ type: 'uri', 'subject-domain': 'https://corp.example', 'issuer-claim': '$.x' }),
      /issuer-claim: is only used by email/,
    ],
    [
      configWith({ type: 'email', 'subject-domain': 'corp.example' }),
      /subject-domain: is only used by uri\/username/,
    ],
    [configWith({ type: 'email', 'issuer-claim': 'federated.connector' }), /simple JSON path/],
    [
      configWith({ type: 'email', 'jwks-file': 'a.json', 'jwks-uri': 'https://x.example/jwks' }),
      /cannot both be set/,
    ],
    [
      configWith({
        type: 'email',
        'jwks-file': 'a.json',
        'ca-cert': '-----BEGIN CERTIFICATE-----',
      }),
      /"ca-cert" has no effect/,
    ],
    [configWith({ type: 'email', 'ca-cert': 'not pem' }), /ca-cert: must hold PEM/],
    [
      configWith({ type: 'email', 'allowed-algorithms': ['none'] }),
      /"none" \(unsigned tokens\) is never allowed/,
    ],
    [
      configWith({ type: 'email', 'allowed-algorithms': ['ES256', 'HS256'] }),
      /"HS256" is symmetric/,
    ],
    [
      configWith({ type: 'email', 'allowed-algorithms': ['ES999'] }),
      /unsupported algorithm "ES999"/,
    ],
    [configWith({ type: 'email', 'allowed-algorithms': [] }), /non-empty list/],
    [configWith({ type: 'email', 'skip-email-verification': 'yes' }), /must be true or false/],
    [{ 'meta-issuers': { 'https://idp.corp.example': { type: 'email' } } }, /needs a "\*"/],
    [
      {
        'meta-issuers': {
          'https://*.corp.example': { type: 'spiffe', 'spiffe-trust-domain': 'corp.example' },
        },
      },
      /spiffe issuers cannot be meta-issuers/,
    ],
    [
      {
        'meta-issuers': {
          'https://*.corp.example': { type: 'email', 'jwks-uri': 'https://x.example/j' },
        },
      },
      /meta-issuers always use discovery/,
    ],
  ])('rejects %j', (raw, message) => {
    const error = oidcError(() => parseIssuerConfig(raw));
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(message);
  });

  it.each([
    [{ 'github-workflow-trigger': 'event_name' }, /deprecated raw-encoded/],
    [{ issuer: 'iss' }, /always comes from the token/],
    [
      { 'build-signer-uri': '{{ if eq .ref_type "branch" }}x{{ end }}' },
      /unsupported template action/,
    ],
    [{ 'build-signer-uri': 'https://{{ .ci_config_ref_uri' }, /unclosed/],
    [{ 'build-signer-uri': 'not a claim' }, /neither a claim name nor/],
    [{ 'build-signer-url': 'x' }, /unknown key "build-signer-url"/],
  ])('rejects the ci-issuer-metadata extension templates %j', (templates, message) => {
    const error = oidcError(() =>
      parseIssuerConfig({
        'oidc-issuers': { 'https://ci.corp.example': { type: 'ci-provider', 'ci-provider': 'ci' } },
        'ci-issuer-metadata': {
          ci: { 'extension-templates': templates, 'subject-alternative-name-template': 'sub' },
        },
      }),
    );
    expect(error.code).toBe('INVALID_CONFIG');
    expect(error.message).toMatch(message);
    expect(error.message).toMatch(/^ci-issuer-metadata\["ci"\]/);
  });

  it('requires a subject-alternative-name-template for a ci provider', () => {
    const error = oidcError(() =>
      parseIssuerConfig({
        'oidc-issuers': { 'https://ci.corp.example': { type: 'ci-provider', 'ci-provider': 'ci' } },
        'ci-issuer-metadata': { ci: {} },
      }),
    );
    expect(error.message).toMatch(/"subject-alternative-name-template" is required/);
  });
});

describe('meta-issuer patterns', () => {
  const eks = compileMetaIssuerPattern('https://oidc.eks.*.amazonaws.com/id/*');

  it('match one hostname label or path segment per "*"', () => {
    expect(
      eks.test('https://oidc.eks.us-west-2.amazonaws.com/id/B02C93B6A2D30341AD01E1B6D48164CB'),
    ).toBe(true);
  });

  it.each([
    'https://oidc.eks.a.b.amazonaws.com/id/X', // two labels for one "*"
    'https://oidc.eks.us-west-2.amazonaws.com/id/X/Y', // two segments
    'https://oidc.eks.us-west-2.amazonaws.com/id/', // empty segment
    'https://oidc.eks.us-west-2.amazonaws.com.evil.example/id/X', // suffix
    'xhttps://oidc.eks.us-west-2.amazonaws.com/id/X', // prefix
    'https://oidcXeks.us-west-2.amazonaws.com/id/X', // "." is literal
  ])('do not match %s', (issuer) => {
    expect(eks.test(issuer)).toBe(false);
  });
});

describe('parseClaimTemplate', () => {
  it('splits literals and substitutions; a bare word is a claim name', () => {
    expect(parseClaimTemplate('{{ .url }}/{{.project_path}}', 'x').parts).toEqual([
      { claim: 'url' },
      { literal: '/' },
      { claim: 'project_path' },
    ]);
    expect(parseClaimTemplate('ci_config_sha', 'x')).toMatchObject({
      kind: 'bare',
      parts: [{ claim: 'ci_config_sha' }],
    });
  });
});

describe('configurationResponse', () => {
  it("describes each issuer as Fulcio's /api/v2/configuration does", () => {
    const config = parseIssuerConfig({
      'oidc-issuers': {
        'https://idp.corp.example': { type: 'email' },
        'https://spiffe.corp.example': { type: 'spiffe', 'spiffe-trust-domain': 'corp.example' },
        'https://build.corp.example': {
          type: 'uri',
          'subject-domain': 'https://build.corp.example',
          'challenge-claim': 'sub',
        },
      },
      'meta-issuers': {
        'https://oidc.eks.*.amazonaws.com/id/*': { type: 'kubernetes', 'client-id': 'fulcio' },
      },
    });
    expect(configurationResponse(config)).toEqual({
      issuers: [
        {
          issuerUrl: 'https://idp.corp.example',
          audience: 'sigstore',
          challengeClaim: 'email',
          spiffeTrustDomain: '',
          issuerType: 'email',
          subjectDomain: '',
          skipEmailVerification: false,
        },
        {
          issuerUrl: 'https://spiffe.corp.example',
          audience: 'sigstore',
          challengeClaim: 'sub',
          spiffeTrustDomain: 'corp.example',
          issuerType: 'spiffe',
          subjectDomain: '',
          skipEmailVerification: false,
        },
        {
          issuerUrl: 'https://build.corp.example',
          audience: 'sigstore',
          challengeClaim: 'sub',
          spiffeTrustDomain: '',
          issuerType: 'uri',
          subjectDomain: 'https://build.corp.example',
          skipEmailVerification: false,
        },
        {
          wildcardIssuerUrl: 'https://oidc.eks.*.amazonaws.com/id/*',
          audience: 'fulcio',
          challengeClaim: 'sub',
          spiffeTrustDomain: '',
          issuerType: 'kubernetes',
          subjectDomain: '',
          skipEmailVerification: false,
        },
      ],
    });
  });

  it('names the Fulcio OIDs the mapping fills', () => {
    expect(FULCIO_OID.issuer).toBe('1.3.6.1.4.1.57264.1.8');
    expect(FULCIO_OID.tokenSubject).toBe('1.3.6.1.4.1.57264.1.24');
    expect(FULCIO_OID.otherNameSan).toBe('1.3.6.1.4.1.57264.1.7');
  });
});

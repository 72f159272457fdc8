// How the verifier lives with real IdPs over time: down at start, coming up later, rotating keys, and an
// IdP behind a private TLS CA (`ca-cert`).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { IdentityVerifier, parseIssuerConfig } from '@airlock/oidc';
import * as x509 from '@peculiar/x509';
import { afterEach, describe, expect, it } from 'vitest';
import { reserveLoopbackPort, startTestIdp, type TestIdp } from '../../../test/support/idp.js';
import { forgeToken, generateSigningKey, jwksOf, nowSeconds } from '../../../test/support/jwt.js';
import { asyncOidcErrorCode } from './support.js';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function idpOn(port?: number): Promise<TestIdp> {
  const idp = await startTestIdp(port === undefined ? {} : { port });
  cleanups.push(() => idp.close());
  return idp;
}

function emailVerifier(
  issuer: string,
  options: ConstructorParameters<typeof IdentityVerifier>[1] = {},
) {
  return new IdentityVerifier(
    parseIssuerConfig({ 'oidc-issuers': { [issuer]: { type: 'email' } } }),
    options,
  );
}

describe('an IdP that is down when the verifier starts', () => {
  it('does not fail construction, fails its tokens with IDP_UNREACHABLE, and recovers when it comes up', async () => {
    const port = await reserveLoopbackPort();
    const issuer = `http://127.0.0.1:${port}`;
    const verifier = emailVerifier(issuer, { idpTimeoutMs: 2000 });

    const someKey = await generateSigningKey();
    const now = nowSeconds();
    const early = await forgeToken(
      {
        iss: issuer,
        sub: 'alice',
        aud: 'sigstore',
        iat: now,
        exp: now + 600,
        email: 'alice@example.test',
        email_verified: true,
      },
      { key: someKey },
    );
    expect(await asyncOidcErrorCode(verifier.verify(early))).toBe('IDP_UNREACHABLE');
    // A second attempt is not served from a cached failure.
    expect(await asyncOidcErrorCode(verifier.verify(early))).toBe('IDP_UNREACHABLE');

    const idp = await idpOn(port);
    const identity = await verifier.verify(await idp.tokenFor('alice'));
    expect(identity.san).toEqual({ type: 'email', value: 'alice@example.test' });
    // Now that the keys are known, the token signed by a stranger is refused for what it is.
    expect(await asyncOidcErrorCode(verifier.verify(early))).toBe('UNKNOWN_KEY');
  });

  it('fails with IDP_UNREACHABLE when the IdP goes away before its JWKS was ever fetched', async () => {
    const idp = await idpOn();
    const token = await idp.tokenFor('alice');
    const verifier = emailVerifier(idp.issuer, { idpTimeoutMs: 2000 });
    await idp.close();
    cleanups.pop();
    expect(await asyncOidcErrorCode(verifier.verify(token))).toBe('IDP_UNREACHABLE');
  });
});

describe('key rotation at the IdP', () => {
  it('picks up a new kid by refetching the JWKS, and still accepts tokens of the old key', async () => {
    const idp = await idpOn();
    const verifier = emailVerifier(idp.issuer, { jwksCooldownMs: 0 });
    const before = await idp.tokenFor('alice');
    await expect(verifier.verify(before)).resolves.toBeDefined();

    await idp.rotateKey();
    const after = await idp.tokenFor('alice');
    await expect(verifier.verify(after)).resolves.toMatchObject({ subject: 'alice' });
    await expect(verifier.verify(before)).resolves.toMatchObject({ subject: 'alice' });
  });

  it('refetches for an unknown kid at most once per cooldown', async () => {
    const idp = await idpOn();
    // The default cooldown (30 s) has not passed since the first fetch, so the new kid stays unknown.
    const verifier = emailVerifier(idp.issuer);
    await verifier.verify(await idp.tokenFor('alice'));
    await idp.rotateKey();
    expect(await asyncOidcErrorCode(verifier.verify(await idp.tokenFor('alice')))).toBe(
      'UNKNOWN_KEY',
    );
  });
});

describe('an IdP behind a private TLS CA (ca-cert)', () => {
  async function startTlsIdp(): Promise<{ issuer: string; caPem: string; token: string }> {
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const tlsKeys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: '01',
      name: 'CN=Airlock test IdP',
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3_600_000),
      keys: tlsKeys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(true, undefined, true),
        new x509.SubjectAlternativeNameExtension([{ type: 'ip', value: '127.0.0.1' }]),
      ],
    });
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', tlsKeys.privateKey));
    const keyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const certPem = cert.toString('pem');

    const signingKey = await generateSigningKey();
    let issuer = '';
    const server: Server = createServer({ key: keyPem, cert: certPem }, (req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/.well-known/openid-configuration') {
        res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
      } else if (req.url === '/jwks') {
        res.end(JSON.stringify(jwksOf(signingKey)));
      } else {
        res.statusCode = 404;
        res.end('{}');
      }
    });
    await new Promise<void>((resolveListen) =>
      server.listen(0, '127.0.0.1', () => resolveListen()),
    );
    issuer = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    cleanups.push(
      () =>
        new Promise<void>((resolveClose) => {
          server.close(() => resolveClose());
          server.closeAllConnections();
        }),
    );
    const now = nowSeconds();
    const token = await forgeToken(
      {
        iss: issuer,
        sub: 'alice',
        aud: 'sigstore',
        iat: now,
        exp: now + 600,
        email: 'alice@corp.example',
        email_verified: true,
      },
      { key: signingKey },
    );
    return { issuer, caPem: certPem, token };
  }

  it('verifies through discovery and JWKS over TLS trusting only the configured CA', async () => {
    const { issuer, caPem, token } = await startTlsIdp();
    const verifier = new IdentityVerifier(
      parseIssuerConfig({ 'oidc-issuers': { [issuer]: { type: 'email', 'ca-cert': caPem } } }),
    );
    await expect(verifier.verify(token)).resolves.toMatchObject({ issuer, subject: 'alice' });
  });

  it('refuses the IdP without the CA (IDP_UNREACHABLE)', async () => {
    const { issuer, token } = await startTlsIdp();
    const verifier = emailVerifier(issuer);
    expect(await asyncOidcErrorCode(verifier.verify(token))).toBe('IDP_UNREACHABLE');
  });

  it('refuses the IdP when ca-cert names a different CA (IDP_UNREACHABLE)', async () => {
    const first = await startTlsIdp();
    const second = await startTlsIdp();
    const verifier = new IdentityVerifier(
      parseIssuerConfig({
        'oidc-issuers': { [first.issuer]: { type: 'email', 'ca-cert': second.caPem } },
      }),
    );
    expect(await asyncOidcErrorCode(verifier.verify(first.token))).toBe('IDP_UNREACHABLE');
  });
});

// A real registry over TLS with a private CA that requires client certificates: the client trusts
// only the CA it is given and presents its certificate; without either the connection fails.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  CosignClient,
  encodeImageManifest,
  OCI_CONFIG,
  RegistryClient,
  type TlsOptions,
} from '@airlock/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningRegistry, startRegistry } from '../../../test/support/registry.js';
import { simpleSigning } from './cosign-fixtures.js';
import { ociError } from './support.js';

const run = promisify(execFile);

interface Pki {
  readonly caPem: string;
  readonly serverPem: string;
  readonly serverKey: string;
  readonly clientPem: string;
  readonly clientKey: string;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI. */
async function makePki(dir: string, name: string): Promise<Pki> {
  const path = (file: string): string => join(dir, `${name}-${file}`);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    path('ca.key'),
    '-out',
    path('ca.pem'),
    '-days',
    '1',
    '-subj',
    `/CN=${name} test CA`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const issue = async (leaf: string, extensions: string): Promise<void> => {
    await writeFile(path(`${leaf}.ext`), extensions);
    await run('openssl', [
      'req',
      ...ec,
      '-keyout',
      path(`${leaf}.key`),
      '-out',
      path(`${leaf}.csr`),
      '-subj',
      `/CN=${leaf}`,
    ]);
    await run('openssl', [
      'x509',
      '-req',
      '-in',
      path(`${leaf}.csr`),
      '-CA',
      path('ca.pem'),
      '-CAkey',
      path('ca.key'),
      '-CAcreateserial',
      '-out',
      path(`${leaf}.pem`),
      '-days',
      '1',
      '-extfile',
      path(`${leaf}.ext`),
    ]);
  };
  await issue('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await issue('client', 'extendedKeyUsage=clientAuth\n');
  const text = (file: string): Promise<string> => readFile(path(file), 'utf8');
  return {
    caPem: await text('ca.pem'),
    serverPem: await text('server.pem'),
    serverKey: await text('server.key'),
    clientPem: await text('client.pem'),
    clientKey: await text('client.key'),
  };
}

let dir: string;
let pki: Pki;
let strangerPki: Pki;
let registry: RunningRegistry;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'airlock-oci-tls-'));
  pki = await makePki(dir, 'airlock');
  strangerPki = await makePki(dir, 'stranger');
  registry = await startRegistry({
    tls: { certificate: pki.serverPem, key: pki.serverKey, clientCa: pki.caPem },
  });
});

afterAll(async () => {
  await registry?.stop();
  await rm(dir, { recursive: true, force: true });
});

function clientWith(tls?: TlsOptions): RegistryClient {
  return new RegistryClient({ retries: 0, ...(tls === undefined ? {} : { tls }) });
}

describe('a TLS registry requiring client certificates', () => {
  it('is reached with the private CA and a client certificate: push, resolve, attach and list', async () => {
    const client = clientWith({ ca: pki.caPem, cert: pki.clientPem, key: pki.clientKey });
    const repo = `${registry.host}/tls/app`;
    const config = await client.pushBlob(
      repo,
      new TextEncoder().encode('{"architecture":"amd64","os":"linux"}'),
    );
    const layer = await client.pushBlob(repo, new TextEncoder().encode('layer over TLS'));
    const manifest = encodeImageManifest({
      config: { mediaType: OCI_CONFIG, ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
    });
    const pushed = await client.putManifest(`${repo}:v1`, manifest);
    expect(await client.resolveDigest(`${repo}:v1`)).toBe(pushed.digest);
    const cosign = new CosignClient(client);
    await cosign.attachSignature({ ref: `${repo}:v1`, ...simpleSigning('tls/app', pushed.digest) });
    expect((await cosign.listSignatures(`${repo}:v1`)).found).toHaveLength(1);
  });

  it('fails without the private CA, without a client certificate, or with one from another CA', async () => {
    const ref = `${registry.host}/tls/app:v1`;
    const failure = async (tls?: TlsOptions): Promise<string> => {
      const error = await ociError(clientWith(tls).resolve(ref));
      expect(error.code).toBe('NETWORK');
      return error.message;
    };
    const untrustedServer = /unable to verify the first certificate/;
    const refusedClient =
      /alert bad certificate|alert certificate required|ECONNRESET|socket hang up/;
    expect(await failure()).toMatch(untrustedServer);
    expect(await failure({ cert: pki.clientPem, key: pki.clientKey })).toMatch(untrustedServer);
    expect(
      await failure({ ca: strangerPki.caPem, cert: pki.clientPem, key: pki.clientKey }),
    ).toMatch(untrustedServer);
    expect(await failure({ ca: pki.caPem })).toMatch(refusedClient);
    expect(
      await failure({ ca: pki.caPem, cert: strangerPki.clientPem, key: strangerPki.clientKey }),
    ).toMatch(refusedClient);
  });
});

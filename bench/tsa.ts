// The timestamp authority under HTTP load on loopback, its key in SoftHSM: timestamps/s and latency
// for DER and JSON requests from concurrent keep-alive clients, against the ceilings measured in the
// same run (tokens built in-process, and raw C_Sign through Pkcs11Signer). The TSA runs in its own
// process so the load generator does not share its event loop.
// `npm run bench -- tsa [--requests 10000] [--clients 32]`.

import { type ChildProcess, fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createSoftHsmToken } from '@airlock/e2e-tests/support/dist/softhsm.js';
import { generateKey, openSigner, SoftwareSigner } from '@airlock/keys';
import {
  createTimeStampToken,
  encodeTimeStampReq,
  timeStampRequest,
  verifyTimeStampToken,
} from '@airlock/timestamp';
import { startTsa } from '@airlock/tsa';
import { createRootCertificate, createTimestampingCertificate, pemEncode } from '@airlock/x509';

const HOSTNAME = '127.0.0.1';
/** Responses whose token the load generator verifies: enough to catch wrong answers. */
const VERIFY_EVERY = 64;
/** No phase runs longer than this, whatever --requests says. */
const PHASE_LIMIT_MS = 120_000;
/** The raw signing ceiling signs for this long. */
const RAW_SIGN_MS = 3_000;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

// ---------------------------------------------------------------------------------------------------
// The TSA process: started by the bench with --serve, reports its URL over IPC, stops on disconnect.

async function serve(): Promise<void> {
  const { keyUri, chainPem } = JSON.parse(process.env.AIRLOCK_BENCH_TSA ?? '{}') as {
    keyUri: string;
    chainPem: string;
  };
  const tsa = await startTsa({ listenHost: HOSTNAME, port: 0, keyUri, chain: { pem: chainPem } });
  process.once('disconnect', () => {
    void tsa.close().then(() => process.exit(0));
  });
  process.send?.({ url: tsa.url });
}

// ---------------------------------------------------------------------------------------------------
// Load generator.

interface PhaseResult {
  readonly requests: number;
  readonly seconds: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly non200: number;
  readonly networkErrors: number;
  readonly verified: number;
  readonly verifyFailures: number;
}

function post(agent: Agent, url: string, type: string, body: Uint8Array) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': type, 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks) }),
        );
        response.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function percentile(sorted: Float64Array, fraction: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))]!;
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));

async function runPhase(options: {
  url: string;
  type: string;
  bodies: readonly Uint8Array[];
  data: readonly Uint8Array[];
  clients: number;
  trustedChain: readonly Uint8Array[];
}): Promise<PhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.clients });
  const count = options.bodies.length;
  const latencies = new Float64Array(count).fill(Number.NaN);
  let non200 = 0;
  let networkErrors = 0;
  let verified = 0;
  let verifyFailures = 0;
  let firstProblem: string | undefined;
  let next = 0;
  const started = performance.now();
  const deadline = started + PHASE_LIMIT_MS;
  const client = async () => {
    for (let i = next++; i < count && performance.now() < deadline; i = next++) {
      const sent = performance.now();
      try {
        const response = await post(agent, options.url, options.type, options.bodies[i]!);
        latencies[i] = performance.now() - sent;
        if (response.status !== 200) {
          non200++;
          firstProblem ??= `status ${response.status}: ${response.body.toString('utf8').slice(0, 200)}`;
        } else if (i % VERIFY_EVERY === 0) {
          verified++;
          try {
            verifyTimeStampToken(response.body, {
              data: options.data[i]!,
              trustedChain: options.trustedChain,
            });
          } catch (error) {
            verifyFailures++;
            firstProblem ??= `token ${i} does not verify: ${String(error)}`;
          }
        }
      } catch (error) {
        networkErrors++;
        firstProblem ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: options.clients }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  const done = latencies.filter((value) => !Number.isNaN(value)).sort();
  if (firstProblem !== undefined) process.stdout.write(`  first problem: ${firstProblem}\n`);
  return {
    requests: done.length,
    seconds: round(seconds),
    perSecond: round(done.length / seconds, 0),
    p50Ms: round(percentile(done, 0.5)),
    p95Ms: round(percentile(done, 0.95)),
    p99Ms: round(percentile(done, 0.99)),
    non200,
    networkErrors,
    verified,
    verifyFailures,
  };
}

async function startChild(
  keyUri: string,
  chainPem: string,
): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: { ...process.env, AIRLOCK_BENCH_TSA: JSON.stringify({ keyUri, chainPem }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the TSA process exited with ${code}`)));
  });
  return { child, url };
}

async function main(): Promise<void> {
  const requests = option('requests', 10_000);
  const clients = option('clients', 32);
  const cpu = cpus()[0]?.model ?? 'unknown';
  process.stdout.write(
    `tsa bench: ${requests} requests per phase, ${clients} clients, ${cpus().length}× ${cpu}, node ${process.version}\n`,
  );

  const token = await createSoftHsmToken();
  try {
    const keyUri = token.uri('tsa-bench');
    const publicKey = await generateKey(keyUri, 'ecdsa-p256-sha256');
    const now = Date.now();
    const rootSigner = SoftwareSigner.generate('ecdsa-p384-sha384');
    const root = await createRootCertificate({
      signer: rootSigner,
      subject: { commonName: 'Airlock bench TSA root' },
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 24 * 3600_000),
    });
    const leaf = await createTimestampingCertificate({
      issuerCert: root,
      issuerSigner: rootSigner,
      publicKey,
      subject: { commonName: 'Airlock bench TSA' },
      notBefore: new Date(now - 3600_000),
      notAfter: new Date(now + 12 * 3600_000),
    });
    const trustedChain = [leaf, root];

    // What clients would send: each request timestamps a distinct 64-byte "signature".
    const data = Array.from({ length: requests }, () => new Uint8Array(randomBytes(64)));
    const digests = data.map(
      (bytes) => new Uint8Array(createHash('sha256').update(bytes).digest()),
    );
    const derBodies = digests.map((hashedMessage) =>
      encodeTimeStampReq(
        timeStampRequest({
          hashAlgorithm: 'sha256',
          hashedMessage,
          nonce: BigInt(`0x${randomBytes(8).toString('hex')}`),
        }),
      ),
    );
    const jsonBodies = digests.map((digest) =>
      new TextEncoder().encode(
        JSON.stringify({
          artifactHash: Buffer.from(digest).toString('base64'),
          hashAlgorithm: 'sha256',
        }),
      ),
    );

    const { child, url } = await startChild(keyUri, pemEncode(leaf) + pemEncode(root));
    let der: PhaseResult;
    let json: PhaseResult;
    try {
      const endpoint = `${url}/api/v1/timestamp`;
      // Warm up connections, JIT and the token's session pool.
      await runPhase({
        url: endpoint,
        type: 'application/timestamp-query',
        bodies: derBodies.slice(0, Math.min(500, requests)),
        data,
        clients,
        trustedChain,
      });
      der = await runPhase({
        url: endpoint,
        type: 'application/timestamp-query',
        bodies: derBodies,
        data,
        clients,
        trustedChain,
      });
      process.stdout.write(`HTTP DER  (application/timestamp-query): ${JSON.stringify(der)}\n`);
      json = await runPhase({
        url: endpoint,
        type: 'application/json',
        bodies: jsonBodies,
        data,
        clients,
        trustedChain,
      });
      process.stdout.write(`HTTP JSON (sigstore-js form):            ${JSON.stringify(json)}\n`);
    } finally {
      child.disconnect();
      await new Promise((resolve) => child.once('exit', resolve));
    }

    // Ceilings, with the TSA process gone: tokens assembled in-process, and bare C_Sign.
    const signer = await openSigner(keyUri);
    let inProcessPerSecond: number;
    let rawSignPerSecond: number;
    try {
      const tokenCount = Math.min(requests, 5000);
      const requestsForTokens = digests
        .slice(0, tokenCount)
        .map((hashedMessage) => timeStampRequest({ hashAlgorithm: 'sha256', hashedMessage }));
      let started = performance.now();
      for (const tsRequest of requestsForTokens) {
        await createTimeStampToken({ request: tsRequest, signer, signerCert: leaf });
      }
      inProcessPerSecond = round(tokenCount / ((performance.now() - started) / 1000), 0);

      // The TSA signs a DER SET of signed attributes of about this size.
      const message = new Uint8Array(randomBytes(230));
      let signatures = 0;
      started = performance.now();
      while (performance.now() - started < RAW_SIGN_MS) {
        await signer.sign(message);
        signatures++;
      }
      rawSignPerSecond = round(signatures / ((performance.now() - started) / 1000), 0);
    } finally {
      await signer.close();
    }
    process.stdout.write(`in-process createTimeStampToken (SoftHSM): ${inProcessPerSecond}/s\n`);
    process.stdout.write(`raw SoftHSM C_Sign ECDSA P-256 (Pkcs11Signer): ${rawSignPerSecond}/s\n`);
    process.stdout.write(
      `${JSON.stringify({
        bench: 'tsa',
        clients,
        requests,
        derPerSecond: der.perSecond,
        derP50Ms: der.p50Ms,
        derP95Ms: der.p95Ms,
        jsonPerSecond: json.perSecond,
        jsonP50Ms: json.p50Ms,
        jsonP95Ms: json.p95Ms,
        errors: der.non200 + der.networkErrors + json.non200 + json.networkErrors,
        verifyFailures: der.verifyFailures + json.verifyFailures,
        inProcessTokensPerSecond: inProcessPerSecond,
        rawSignPerSecond,
        cpus: cpus().length,
        cpu,
        node: process.version,
      })}\n`,
    );
  } finally {
    await token.cleanup();
  }
}

if (process.argv.includes('--serve')) {
  await serve();
} else {
  await main();
}

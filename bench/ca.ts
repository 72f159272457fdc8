// The certificate authority under HTTP load on loopback, its intermediate key and the CT log's key in
// SoftHSM: certificates/s and latency for concurrent keep-alive clients posting /api/v2/signingCert,
// against the HSM-bound ceiling measured in the same run (raw C_Sign through @airlock/keys ÷ 3: two
// CA signatures and one SCT per certificate). The CT log and the CA share one process, as `airlock
// up` runs them; the load generator runs in another. After the HTTP phase the same issuance runs
// in-process with timed signers, to show where a certificate's time goes.
// `npm run bench -- ca [--requests 3000] [--clients 32] [--profile <dir>]`; --profile runs the
// server under --cpu-prof and prints where its CPU time went. The last line is one JSON object.

import { type ChildProcess, fork } from 'node:child_process';
import {
  generateKeyPairSync,
  type KeyObject,
  X509Certificate as NodeX509Certificate,
  randomBytes,
  sign,
} from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  CertificateAuthority,
  createCaHierarchy,
  type PrecertificateLog,
  startCa,
} from '@airlock/ca';
import { acceptChain, CtLog, createCtLogServer } from '@airlock/ctlog';
import { forgeToken, generateSigningKey, jwksOf } from '@airlock/e2e-tests/support/dist/jwt.js';
import { createSoftHsmToken } from '@airlock/e2e-tests/support/dist/softhsm.js';
import { generateKey, openSigner, type Signer, SoftwareSigner } from '@airlock/keys';
import { IdentityVerifier, parseIssuerConfig } from '@airlock/oidc';
import {
  embeddedScts,
  issuerKeyHash,
  pemDecode,
  pemEncode,
  tbsForSct,
  verifySct,
} from '@airlock/x509';

const HOSTNAME = '127.0.0.1';
/** The issuer the CA trusts through the bench's static JWKS file. */
const STATIC_ISSUER = 'https://bench-idp.airlock.test';
const CT_ORIGIN = 'bench.airlock.test/ctlog';
/** Responses whose certificate the load generator checks: enough to catch wrong answers. */
const VERIFY_EVERY = 64;
/** No phase runs longer than this, whatever --requests says. */
const PHASE_LIMIT_MS = 60_000;
/** The raw signing ceiling signs for this long. */
const RAW_SIGN_MS = 3_000;
/** Requests of the untimed warm-up phase (connections, JIT, session pool, first batches). */
const WARMUP_REQUESTS = 300;
/** HSM signatures a certificate needs: precertificate, final certificate, SCT. */
const SIGNATURES_PER_CERTIFICATE = 3;

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  const value = at >= 0 ? Number(process.argv[at + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

function stringOption(name: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const round = (value: number, digits = 0) => Number(value.toFixed(digits));

/** What the server process needs, passed in its environment. */
interface ServerConfig {
  readonly caKeyUri: string;
  readonly ctKeyUri: string;
  readonly chainPem: string;
  readonly rootPem: string;
  readonly jwksFile: string;
  readonly ctDataDir: string;
}

const issuerConfig = (jwksFile: string) => ({
  'oidc-issuers': { [STATIC_ISSUER]: { type: 'email', 'jwks-file': jwksFile } },
});

// ---------------------------------------------------------------------------------------------------
// The server process: the CT log and the CA, started as the stack starts them; reports the CA's URL
// over IPC and stops on disconnect.

async function serve(): Promise<void> {
  const config = JSON.parse(process.env.AIRLOCK_BENCH_CA ?? '{}') as ServerConfig;
  const ctSigner = await openSigner(config.ctKeyUri);
  const ct = await CtLog.open({
    dataDir: config.ctDataDir,
    origin: CT_ORIGIN,
    signer: ctSigner,
    roots: [pemDecode(config.rootPem)],
  });
  const ctApp = await createCtLogServer(ct);
  ctApp.addHook('onClose', () => ct.close());
  await ctApp.listen({ host: HOSTNAME, port: 0 });
  const ctAddress = ctApp.server.address();
  const ctPort = typeof ctAddress === 'object' && ctAddress ? ctAddress.port : 0;
  const ca = await startCa({
    listenHost: HOSTNAME,
    port: 0,
    caKeyUri: config.caKeyUri,
    chain: { pem: config.chainPem },
    issuerConfig: issuerConfig(config.jwksFile),
    ctUrl: `http://${HOSTNAME}:${ctPort}`,
    ctPublicKey: ctSigner.publicKey,
  });
  // The load generator asks for the CPU this process has used, before and after a phase.
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.once('disconnect', () => {
    void (async () => {
      await ca.close();
      await ctApp.close();
      await ctSigner.close();
      process.exit(0);
    })();
  });
  process.send?.({ url: ca.url });
}

// ---------------------------------------------------------------------------------------------------
// Clients: each request has its own identity (token), P-256 key and proof of possession, made
// before anything is timed.

interface ClientRequest {
  readonly email: string;
  readonly token: string;
  readonly publicKey: KeyObject;
  readonly publicKeyPem: string;
  readonly proofOfPossession: Buffer;
  readonly body: Buffer;
}

async function makeRequests(count: number, jwksFile: string): Promise<ClientRequest[]> {
  const idpKey = await generateSigningKey('ES256', 'bench-1');
  writeFileSync(jwksFile, JSON.stringify(jwksOf(idpKey)));
  const now = Math.floor(Date.now() / 1000);
  const requests: ClientRequest[] = [];
  for (let i = 0; i < count; i++) {
    const email = `user-${i}@bench.airlock.test`;
    const token = await forgeToken(
      {
        iss: STATIC_ISSUER,
        aud: 'sigstore',
        sub: `user-${i}`,
        email,
        email_verified: true,
        iat: now,
        exp: now + 900,
      },
      { key: idpKey },
    );
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
    // The challenge of an email identity is the email (what sigstore-js signs).
    const proofOfPossession = sign('sha256', Buffer.from(email), privateKey);
    const body = Buffer.from(
      JSON.stringify({
        credentials: { oidcIdentityToken: token },
        publicKeyRequest: {
          publicKey: { algorithm: 'ECDSA', content: publicKeyPem },
          proofOfPossession: proofOfPossession.toString('base64'),
        },
      }),
    );
    requests.push({ email, token, publicKey, publicKeyPem, proofOfPossession, body });
  }
  return requests;
}

/** The checks a client would make: chain, identity, its own key, and the embedded SCT. */
function checkCertificate(
  chainPem: readonly string[],
  wanted: ClientRequest,
  ctPublicKey: KeyObject,
): string | undefined {
  const [leafPem, intermediatePem] = chainPem;
  if (leafPem === undefined || intermediatePem === undefined) return 'the chain is too short';
  const leaf = new NodeX509Certificate(leafPem);
  const intermediate = new NodeX509Certificate(intermediatePem);
  if (!leaf.checkIssued(intermediate) || !leaf.verify(intermediate.publicKey))
    return 'the leaf is not signed by the intermediate';
  if (leaf.subjectAltName !== `email:${wanted.email}`)
    return `the leaf names ${leaf.subjectAltName}, not ${wanted.email}`;
  if (!leaf.publicKey.equals(wanted.publicKey)) return 'the leaf certifies another key';
  const leafDer = new Uint8Array(leaf.raw);
  const [sct] = embeddedScts(leafDer);
  const entry = {
    type: 'precert' as const,
    issuerKeyHash: issuerKeyHash(new Uint8Array(intermediate.raw)),
    tbsCertificate: tbsForSct(leafDer),
  };
  if (sct === undefined || !verifySct(sct, entry, ctPublicKey))
    return 'the embedded SCT does not verify';
  return undefined;
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

function post(agent: Agent, url: string, body: Buffer) {
  return new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
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

function summary(
  latencies: Float64Array,
  seconds: number,
  counts: { non200: number; networkErrors: number; verified: number; verifyFailures: number },
): PhaseResult {
  const done = latencies.filter((value) => !Number.isNaN(value)).sort();
  return {
    requests: done.length,
    seconds: round(seconds, 2),
    perSecond: round(done.length / seconds),
    p50Ms: round(percentile(done, 0.5), 2),
    p95Ms: round(percentile(done, 0.95), 2),
    p99Ms: round(percentile(done, 0.99), 2),
    ...counts,
  };
}

async function runHttpPhase(
  url: string,
  requests: readonly ClientRequest[],
  clients: number,
  ctPublicKey: KeyObject,
): Promise<PhaseResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const endpoint = `${url}/api/v2/signingCert`;
  const latencies = new Float64Array(requests.length).fill(Number.NaN);
  const counts = { non200: 0, networkErrors: 0, verified: 0, verifyFailures: 0 };
  let firstProblem: string | undefined;
  let next = 0;
  const started = performance.now();
  const deadline = started + PHASE_LIMIT_MS;
  const client = async () => {
    for (let i = next++; i < requests.length && performance.now() < deadline; i = next++) {
      const wanted = requests[i]!;
      const sent = performance.now();
      try {
        const response = await post(agent, endpoint, wanted.body);
        latencies[i] = performance.now() - sent;
        if (response.status !== 200) {
          counts.non200++;
          firstProblem ??= `status ${response.status}: ${response.body.toString('utf8').slice(0, 200)}`;
        } else if (i % VERIFY_EVERY === 0) {
          counts.verified++;
          const chain = (
            JSON.parse(response.body.toString('utf8')) as {
              signedCertificateEmbeddedSct?: { chain: { certificates: string[] } };
            }
          ).signedCertificateEmbeddedSct?.chain.certificates;
          const problem =
            chain === undefined
              ? 'no signedCertificateEmbeddedSct'
              : checkCertificate(chain, wanted, ctPublicKey);
          if (problem !== undefined) {
            counts.verifyFailures++;
            firstProblem ??= `certificate ${i}: ${problem}`;
          }
        }
      } catch (error) {
        counts.networkErrors++;
        firstProblem ??= String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: clients }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  if (firstProblem !== undefined) process.stdout.write(`  first problem: ${firstProblem}\n`);
  return summary(latencies, seconds, counts);
}

/** CPU microseconds (user + system) the server process has used so far. */
function serverCpuUs(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const listen = (message: unknown) => {
      const cpu = (message as { cpu?: NodeJS.CpuUsage }).cpu;
      if (cpu === undefined) return;
      child.off('message', listen);
      resolve(cpu.user + cpu.system);
    };
    child.on('message', listen);
    child.send('cpu');
  });
}

async function startServer(
  config: ServerConfig,
  profileDir: string | undefined,
): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: { ...process.env, AIRLOCK_BENCH_CA: JSON.stringify(config) },
    execArgv: profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (message) => resolve((message as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the CA process exited with ${code}`)));
  });
  return { child, url };
}

// ---------------------------------------------------------------------------------------------------
// In-process issuance with timed parts: the same CertificateAuthority and CtLog, no HTTP.

/** A Signer that adds the time its sign() takes before returning to `bucket` (a blocking C_Sign). */
function timedSigner(inner: Signer, bucket: { ms: number; count: number }): Signer {
  return {
    algorithm: inner.algorithm,
    publicKey: inner.publicKey,
    sign: (message) => {
      const started = performance.now();
      const signed = inner.sign(message);
      bucket.ms += performance.now() - started;
      bucket.count++;
      return signed;
    },
  };
}

interface InProcessFigures {
  readonly certificates: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU (user + system, all threads of this process) per certificate. */
  readonly cpuUsPerCert: number;
  /** Per certificate, in the CA key's and the CT key's sign() calls (blocking C_Sign). */
  readonly caSignUsPerCert: number;
  readonly ctSignUsPerCert: number;
  /** HSM signatures per certificate: CA signatures, SCTs and the CT log's checkpoints. */
  readonly signaturesPerCert: number;
  /** Per certificate, in acceptChain + CtLog.add (SQLite batch commit wait included). */
  readonly ctAddMsPerCertWall: number;
  /** Share of the wall time the event loop spent inside C_Sign. */
  readonly hsmBusyShare: number;
  /** Sequential token verifications (IdentityVerifier.verify) per second. */
  readonly tokenVerifyPerSecond: number;
}

async function runInProcess(
  config: ServerConfig,
  requests: readonly ClientRequest[],
  clients: number,
  chain: readonly Uint8Array[],
): Promise<InProcessFigures> {
  const caSign = { ms: 0, count: 0 };
  const ctSign = { ms: 0, count: 0 };
  const caSigner = await openSigner(config.caKeyUri);
  const ctSigner = await openSigner(config.ctKeyUri);
  const dataDir = `${config.ctDataDir}-in-process`;
  const ct = await CtLog.open({
    dataDir,
    origin: CT_ORIGIN,
    signer: timedSigner(ctSigner, ctSign),
    roots: [chain[chain.length - 1]!],
  });
  try {
    const ctAdd = { ms: 0 };
    const ctLog: PrecertificateLog = {
      publicKey: ctSigner.publicKey,
      async addPreChain(certificates) {
        const started = performance.now();
        const body = { chain: certificates.map((der) => Buffer.from(der).toString('base64')) };
        const sct = await ct.add(
          acceptChain(body, ct.rootCertificates, true, ct.verifiedLinks),
          true,
        );
        ctAdd.ms += performance.now() - started;
        return sct;
      },
    };
    const verifier = new IdentityVerifier(parseIssuerConfig(issuerConfig(config.jwksFile)));
    const ca = new CertificateAuthority({
      signer: timedSigner(caSigner, caSign),
      chain,
      identityVerifier: verifier,
      ctLog,
    });
    const issue = (wanted: ClientRequest) =>
      ca.issue({
        token: wanted.token,
        publicKey: wanted.publicKeyPem,
        proofOfPossession: wanted.proofOfPossession,
      });
    for (const wanted of requests.slice(0, 100)) await issue(wanted);
    caSign.ms = 0;
    caSign.count = 0;
    ctSign.ms = 0;
    ctSign.count = 0;
    ctAdd.ms = 0;

    const latencies = new Float64Array(requests.length).fill(Number.NaN);
    let next = 0;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    const deadline = started + PHASE_LIMIT_MS;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < requests.length && performance.now() < deadline; i = next++) {
          const sent = performance.now();
          await issue(requests[i]!);
          latencies[i] = performance.now() - sent;
        }
      }),
    );
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const result = summary(latencies, wallMs / 1000, {
      non200: 0,
      networkErrors: 0,
      verified: 0,
      verifyFailures: 0,
    });

    // Token verification alone, one at a time.
    const tokenCount = Math.min(requests.length, 1000);
    const tokenStarted = performance.now();
    for (const wanted of requests.slice(0, tokenCount)) await verifier.verify(wanted.token);
    const tokenVerifyPerSecond = tokenCount / ((performance.now() - tokenStarted) / 1000);

    const certificates = result.requests;
    return {
      certificates,
      perSecond: result.perSecond,
      p50Ms: result.p50Ms,
      p99Ms: result.p99Ms,
      cpuUsPerCert: round((cpu.user + cpu.system) / certificates),
      caSignUsPerCert: round((caSign.ms * 1000) / certificates, 1),
      ctSignUsPerCert: round((ctSign.ms * 1000) / certificates, 1),
      signaturesPerCert: round((caSign.count + ctSign.count) / certificates, 3),
      ctAddMsPerCertWall: round(ctAdd.ms / certificates, 2),
      hsmBusyShare: round((caSign.ms + ctSign.ms) / wallMs, 3),
      tokenVerifyPerSecond: round(tokenVerifyPerSecond),
    };
  } finally {
    await ct.close();
    await caSigner.close();
    await ctSigner.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Bare C_Sign through the Signer @airlock/keys opens, on a message of a TBS certificate's size. */
async function rawSignPerSecond(keyUri: string): Promise<number> {
  const signer = await openSigner(keyUri);
  try {
    const message = new Uint8Array(randomBytes(700));
    for (let i = 0; i < 200; i++) await signer.sign(message);
    let signatures = 0;
    const started = performance.now();
    while (performance.now() - started < RAW_SIGN_MS) {
      await signer.sign(message);
      signatures++;
    }
    return signatures / ((performance.now() - started) / 1000);
  } finally {
    await signer.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Profile reading: where the server's CPU went, by package and by function.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

/** The package a script URL belongs to: an @airlock package, a dependency, or a part of Node. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.replace(/^node:internal\//, 'node:').split('/')[0]!;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return dependency[1]!;
  const workspace = /\/(packages|services)\/([^/]+)\//.exec(url);
  if (workspace) return `@airlock/${workspace[2]}`;
  return url;
}

interface ProfileFigures {
  /** Server CPU (all samples but idle) per certificate issued while it was profiled. */
  busyUsPerCert: number;
  /** Self time by package. */
  byPackage: { name: string; usPerCert: number; share: number }[];
  /** Time in Airlock functions including what they call synchronously (not across awaits). */
  airlockInclusive: { name: string; usPerCert: number; share: number }[];
}

/** Where the server's CPU went, from its V8 .cpuprofile, weighted by each sample's duration. */
function profileSummary(profileDir: string, certificates: number): ProfileFigures {
  const files = readdirSync(profileDir).filter((file) => file.endsWith('.cpuprofile'));
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busy = 0;
  for (const file of files) {
    const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8')) as {
      nodes: ProfileNode[];
      samples: number[];
      timeDeltas: number[];
    };
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) {
      for (const child of node.children ?? []) parents.set(child, node.id);
    }
    const weights = new Map<number, number>();
    profile.samples.forEach((id, i) => {
      // A sample's duration is the gap to the next one.
      weights.set(id, (weights.get(id) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
    });
    for (const [id, us] of weights) {
      const frame = nodes.get(id)?.callFrame;
      if (frame === undefined || frame.functionName === '(idle)') continue;
      busy += us;
      const pkg = packageOf(frame.url, frame.functionName);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
      const seen = new Set<string>();
      for (let at: number | undefined = id; at !== undefined; at = parents.get(at)) {
        const caller = nodes.get(at)?.callFrame;
        const where = caller && /\/(packages|services)\/[^/]+\/dist\/(.+)$/.exec(caller.url);
        if (!caller || !where) continue;
        const name = `${caller.functionName || '(anonymous)'} ${where[0].slice(1)}:${caller.lineNumber + 1}`;
        if (seen.has(name)) continue;
        seen.add(name);
        inclusive.set(name, (inclusive.get(name) ?? 0) + us);
      }
    }
  }
  const top = (map: Map<string, number>, count: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({
        name,
        usPerCert: round(us / certificates),
        share: round(us / busy, 3),
      }));
  return {
    busyUsPerCert: round(busy / certificates),
    byPackage: top(byPackage, 12),
    airlockInclusive: top(inclusive, 25),
  };
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const requestCount = option('requests', 3000);
  const clients = option('clients', 32);
  const profileDir = stringOption('profile');
  const cpu = cpus()[0]?.model ?? 'unknown';
  process.stdout.write(
    `ca bench: ${requestCount} requests, ${clients} clients, ${cpus().length}× ${cpu}, load ${loadavg()[0]!.toFixed(2)}, node ${process.version}\n`,
  );

  const files = mkdtempSync(join(tmpdir(), 'airlock-ca-bench-'));
  const token = await createSoftHsmToken();
  try {
    const caKeyUri = token.uri('ca-intermediate');
    const ctKeyUri = token.uri('ctlog');
    await generateKey(caKeyUri, 'ecdsa-p256-sha256');
    const ctPublicKey = await generateKey(ctKeyUri, 'ecdsa-p256-sha256');
    // The root signs twice in the CA's life; it need not be in the token to measure issuance.
    const rootSigner = SoftwareSigner.generate('ecdsa-p384-sha384');
    const intermediateSigner = await openSigner(caKeyUri);
    const hierarchy = await createCaHierarchy({
      rootSigner,
      intermediateSigner,
      organization: 'Airlock bench',
    });
    await intermediateSigner.close();

    const jwksFile = join(files, 'idp.jwks.json');
    const ctDataDir = join(files, 'ctlog');
    mkdirSync(ctDataDir);
    const config: ServerConfig = {
      caKeyUri,
      ctKeyUri,
      chainPem: hierarchy.chainPem,
      rootPem: pemEncode(hierarchy.root),
      jwksFile,
      ctDataDir,
    };
    const all = await makeRequests(WARMUP_REQUESTS + requestCount, jwksFile);
    const warmup = all.slice(0, WARMUP_REQUESTS);
    const measured = all.slice(WARMUP_REQUESTS);
    process.stderr.write(`  ${all.length} requests prepared\n`);

    if (profileDir !== undefined) mkdirSync(profileDir, { recursive: true });
    const { child, url } = await startServer(config, profileDir);
    let http: PhaseResult;
    let serverCpuUsPerCert: number;
    try {
      await runHttpPhase(url, warmup, clients, ctPublicKey);
      const cpuBefore = await serverCpuUs(child);
      http = await runHttpPhase(url, measured, clients, ctPublicKey);
      serverCpuUsPerCert = ((await serverCpuUs(child)) - cpuBefore) / http.requests;
      process.stdout.write(`HTTP /api/v2/signingCert: ${JSON.stringify(http)}\n`);
    } finally {
      child.disconnect();
      await new Promise((resolve) => child.once('exit', resolve));
    }

    // With the server gone: the same issuance in-process, then bare C_Sign.
    const inProcess = await runInProcess(config, all, clients, hierarchy.chain);
    process.stdout.write(`in-process CertificateAuthority.issue: ${JSON.stringify(inProcess)}\n`);
    const raw = await rawSignPerSecond(caKeyUri);
    const ceiling = raw / SIGNATURES_PER_CERTIFICATE;

    const fmt = (value: number, digits = 0) =>
      value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      });
    const rows: [string, string, string, string, string][] = [
      ['', 'certs/s', 'p50 ms', 'p99 ms', '÷ ceiling'],
      [
        `HTTP, ${clients} clients (CA + CT log in one process)`,
        fmt(http.perSecond),
        fmt(http.p50Ms, 1),
        fmt(http.p99Ms, 1),
        `${fmt((100 * http.perSecond) / ceiling, 1)} %`,
      ],
      [
        `in-process issue(), ${clients} in flight`,
        fmt(inProcess.perSecond),
        fmt(inProcess.p50Ms, 1),
        fmt(inProcess.p99Ms, 1),
        `${fmt((100 * inProcess.perSecond) / ceiling, 1)} %`,
      ],
      [
        `HSM-bound ceiling: raw C_Sign ${fmt(raw)}/s ÷ ${SIGNATURES_PER_CERTIFICATE}`,
        fmt(ceiling),
        '',
        '',
        '100.0 %',
      ],
    ];
    process.stdout.write('\n');
    const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
    for (const row of rows) {
      process.stdout.write(
        `${row.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ')}\n`,
      );
    }
    const signUs = inProcess.caSignUsPerCert + inProcess.ctSignUsPerCert;
    process.stdout.write(
      [
        '',
        `Server process CPU over HTTP: ${fmt(serverCpuUsPerCert)} µs per certificate (HSM-bound ceiling: ${fmt(1e6 / ceiling)} µs).`,
        `In-process issue(), per certificate: ${fmt(1e6 / inProcess.perSecond)} µs of wall time, ${fmt(inProcess.cpuUsPerCert)} µs of CPU, of which`,
        `  CA key sign() (2 × C_Sign)          ${fmt(inProcess.caSignUsPerCert).padStart(6)} µs`,
        `  CT key sign() (SCT + checkpoints)   ${fmt(inProcess.ctSignUsPerCert).padStart(6)} µs  (${fmt(inProcess.signaturesPerCert, 2)} HSM signatures per certificate in all)`,
        `  everything else                     ${fmt(inProcess.cpuUsPerCert - signUs).padStart(6)} µs  (token, proof of possession, X.509 building and parsing, CT chain check, SCT check, sequencing)`,
        `  token verification alone: ${fmt(inProcess.tokenVerifyPerSecond)}/s sequential (${fmt(1e6 / inProcess.tokenVerifyPerSecond)} µs each)`,
        `Goal (issue): ≥ 50 % of the HSM-bound ceiling; reached ${fmt((100 * http.perSecond) / ceiling, 1)} % over HTTP.`,
        '',
      ].join('\n'),
    );

    let profile: ProfileFigures | undefined;
    if (profileDir !== undefined) {
      profile = profileSummary(profileDir, WARMUP_REQUESTS + http.requests);
      const line = (row: { name: string; usPerCert: number; share: number }) =>
        `  ${fmt(row.usPerCert).padStart(6)} µs/cert  ${fmt(100 * row.share, 1).padStart(5)} %  ${row.name}\n`;
      process.stdout.write(
        `Server CPU under --cpu-prof (warm-up and measured phase, idle excluded): ${fmt(profile.busyUsPerCert)} µs per certificate\n`,
      );
      process.stdout.write('by package (self time):\n');
      for (const row of profile.byPackage) process.stdout.write(line(row));
      process.stdout.write(
        'by Airlock function (inclusive of what it calls synchronously; nested rows overlap):\n',
      );
      for (const row of profile.airlockInclusive) process.stdout.write(line(row));
    }

    process.stdout.write(
      `${JSON.stringify({
        bench: 'ca',
        clients,
        requests: requestCount,
        certsPerSecond: http.perSecond,
        serverCpuUsPerCert: round(serverCpuUsPerCert),
        p50Ms: http.p50Ms,
        p95Ms: http.p95Ms,
        p99Ms: http.p99Ms,
        errors: http.non200 + http.networkErrors,
        verified: http.verified,
        verifyFailures: http.verifyFailures,
        rawSignPerSecond: round(raw),
        hsmCeilingCertsPerSecond: round(ceiling),
        reachedToCeiling: round(http.perSecond / ceiling, 3),
        inProcess,
        ...(profile !== undefined ? { profile } : {}),
        cpus: cpus().length,
        cpu,
        loadAverage: round(loadavg()[0]!, 2),
        node: process.version,
      })}\n`,
    );
  } finally {
    await token.cleanup();
    rmSync(files, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) {
  await serve();
} else {
  await main();
}

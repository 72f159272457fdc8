// The web explorer in a real browser (Debian's Chromium through playwright-core) against a real log on
// loopback: search finds entries, the page decodes the certificate and verifies the inclusion proof
// and the checkpoint signature itself, and a proof or checkpoint tampered in transit is NOT verified.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCa } from './certificates.js';
import { ArtifactSigner, startTestTlog, type TestTlog } from './support.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(import.meta.dirname, '..', '..', '..', 'test-artifacts');

let tlog: TestTlog;
let url: string;
let context: BrowserContext;
let userDataDir: string;
let alice: { uuid: string; digest: string; index: number };
let keyEntry: { uuid: string; index: number };

async function submit(entry: unknown) {
  const response = await tlog.app.inject({
    method: 'POST',
    url: '/api/v1/log/entries',
    payload: entry as object,
  });
  expect(response.statusCode).toBe(201);
  const [id, value] = Object.entries(response.json() as Record<string, { logIndex: number }>)[0]!;
  return { uuid: id.slice(-64), index: value.logIndex };
}

beforeAll(async () => {
  tlog = await startTestTlog();
  const ca = await TestCa.create();
  const signer = new ArtifactSigner();
  keyEntry = await submit(signer.hashedrekord().entry);
  const aliceEntry = await ca.hashedrekord('alice@airlock.test');
  alice = { ...(await submit(aliceEntry.entry)), digest: aliceEntry.digest };
  await submit((await ca.hashedrekord('bob@airlock.test')).entry);
  for (let i = 0; i < 4; i++) await submit(signer.hashedrekord().entry);
  await tlog.app.listen({ host: '127.0.0.1', port: 0 });
  const address = tlog.app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

  userDataDir = mkdtempSync(join(tmpdir(), 'airlock-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1200, height: 900 },
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await tlog?.app.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

async function openPage(path: string): Promise<Page> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(`${url}${path}`);
  (page as Page & { errors: string[] }).errors = errors;
  return page;
}

const verdict = (page: Page) => page.locator('#proof-status');
/** The text as rendered (what a person reads), line breaks included. */
// biome-ignore lint/performance/useDomNodeTextContent: Playwright's Locator.innerText, not the DOM's
const rendered = (locator: Locator) => locator.innerText();

describe('explorer in Chromium', () => {
  it('finds an entry by artifact hash, shows its certificate and verifies its proof in the page', async () => {
    const page = await openPage(`/explorer/?q=sha256:${alice.digest}`);
    // One result, which opens the entry.
    const row = page.locator('#results-table tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    expect(await rendered(row)).toContain('alice@airlock.test');
    await row.locator('a').click();
    await page.waitForSelector('#proof-status[data-status="verified"]', { timeout: 10_000 });
    expect(await rendered(verdict(page))).toMatch(/Inclusion proof verified/);
    expect(page.url()).toBe(`${url}/explorer/?entry=${alice.uuid}`);

    const entry = await rendered(page.locator('#entry'));
    expect(entry).toContain('alice@airlock.test (email)');
    expect(entry).toContain('https://idp.airlock.test');
    expect(entry).toContain('CN=Airlock test CA');
    expect(entry).toContain('1.3.6.1.4.1.57264.1.8');
    expect(entry).toContain(`Log index\n${alice.index}`);
    await page.waitForSelector('#checkpoint-status[data-status="verified"]');
    expect(await rendered(page.locator('#checkpoint-facts'))).toContain('Tree size\n7');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'explorer.png'), fullPage: true });
    expect((page as Page & { errors: string[] }).errors).toEqual([]);
    await page.close();
  });

  it('searches by identity through the form and keeps the search in a shareable URL', async () => {
    const page = await openPage('/explorer/');
    await page.fill('#q', 'alice@airlock.test');
    await page.press('#q', 'Enter');
    await expect.poll(() => page.locator('#results-table tbody tr').count()).toBe(1);
    expect(page.url()).toBe(`${url}/explorer/?q=alice%40airlock.test`);
    expect(await rendered(page.locator('#results-summary'))).toMatch(/1 entry matches/);

    await page.fill('#q', 'nobody@airlock.test');
    await page.press('#q', 'Enter');
    await expect.poll(() => rendered(page.locator('#results-summary'))).toMatch(/No entries match/);
    // Back returns to the earlier search.
    await page.goBack();
    await expect.poll(() => page.locator('#q').inputValue()).toBe('alice@airlock.test');
    await page.close();
  });

  it('opens entries by index and by UUID (64 or 80 hex digits), and a key-signed entry too', async () => {
    const byIndex = await openPage(`/explorer/?q=${keyEntry.index}`);
    await byIndex.waitForSelector('#proof-status[data-status="verified"]');
    expect(await rendered(byIndex.locator('#verifiers'))).toContain('Public key');
    expect(byIndex.url()).toContain(`?entry=${keyEntry.uuid}`);
    await byIndex.close();

    const shared = await openPage(`/explorer/?entry=${alice.uuid}`);
    await shared.waitForSelector('#proof-status[data-status="verified"]');
    await shared.close();

    const treeId = BigInt(tlog.logs.v1.treeId).toString(16).padStart(16, '0');
    const byEntryId = await openPage(`/explorer/?q=${treeId}${alice.uuid}`);
    await byEntryId.waitForSelector('#proof-status[data-status="verified"]');
    await byEntryId.close();
  });

  it('shows a proof altered in transit as NOT verified', async () => {
    const page = await context.newPage();
    await page.route(`**/api/v1/log/entries/${alice.uuid}`, async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as Record<string, any>;
      const entry = Object.values(json)[0];
      const hashes: string[] = entry.verification.inclusionProof.hashes;
      const first = hashes[0]!;
      hashes[0] = (first[0] === '0' ? '1' : '0') + first.slice(1);
      await route.fulfill({ response, json });
    });
    await page.goto(`${url}/explorer/?entry=${alice.uuid}`);
    await page.waitForSelector('#proof-status[data-status="failed"]');
    expect(await rendered(verdict(page))).toMatch(
      /Inclusion proof NOT verified: the proof does not lead to the checkpoint root/,
    );
    await page.close();
  });

  it('shows a checkpoint whose signature was altered in transit as NOT verified', async () => {
    const page = await context.newPage();
    await page.route(`**/api/v1/log/entries/${alice.uuid}`, async (route) => {
      const response = await route.fetch();
      const json = (await response.json()) as Record<string, any>;
      const proof = Object.values(json)[0].verification.inclusionProof;
      const [text, lines] = (proof.checkpoint as string).split('\n\n');
      const [prefix, payload] = lines!.trim().split(/ (?=[^ ]+$)/);
      const bytes = Buffer.from(payload!, 'base64');
      bytes[bytes.length - 1]! ^= 1;
      proof.checkpoint = `${text}\n\n${prefix} ${bytes.toString('base64')}\n`;
      await route.fulfill({ response, json });
    });
    await page.goto(`${url}/explorer/?entry=${alice.uuid}`);
    await page.waitForSelector('#proof-status[data-status="failed"]');
    expect(await rendered(verdict(page))).toMatch(
      /NOT verified: the checkpoint signature does not verify/,
    );
    await page.close();
  });
});

describe('explorer files and the decoded entry API', () => {
  it('serves the page with a strict content security policy and redirects /explorer', async () => {
    const page = await tlog.app.inject({ method: 'GET', url: '/explorer/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    expect(page.body).not.toMatch(/(src|href)="(https?:)?\/\//);
    const script = await tlog.app.inject({ method: 'GET', url: '/explorer/explorer.js' });
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    const redirect = await tlog.app.inject({ method: 'GET', url: '/explorer' });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('explorer/');
    expect(
      (await tlog.app.inject({ method: 'GET', url: '/explorer/../package.json' })).statusCode,
    ).toBe(404);
    expect((await tlog.app.inject({ method: 'GET', url: '/explorer/nothing.js' })).statusCode).toBe(
      404,
    );
  });

  it('decodes an entry: digests, the certificate identity, issuer, validity and extensions', async () => {
    const response = await tlog.app.inject({
      method: 'GET',
      url: `/api/v1/log/entries/${alice.uuid}/decoded`,
    });
    expect(response.statusCode).toBe(200);
    const decoded = response.json();
    expect(decoded).toMatchObject({
      uuid: alice.uuid,
      logIndex: alice.index,
      kind: 'hashedrekord',
      apiVersion: '0.0.1',
      digests: [{ algorithm: 'sha256', value: alice.digest }],
    });
    const [verifier] = decoded.verifiers;
    expect(verifier.kind).toBe('certificate');
    expect(verifier.certificate.subjectAlternativeNames).toEqual([
      { type: 'email', value: 'alice@airlock.test' },
    ]);
    expect(verifier.certificate.oidcIssuer).toBe('https://idp.airlock.test');
    expect(verifier.certificate.keyFingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(
      Date.parse(verifier.certificate.notAfter) - Date.parse(verifier.certificate.notBefore),
    ).toBe(600_000);
    expect(verifier.certificate.extensions).toContainEqual({
      oid: '1.3.6.1.4.1.57264.1.8',
      name: 'issuer',
      critical: false,
      value: 'https://idp.airlock.test',
    });

    const keyed = (
      await tlog.app.inject({ method: 'GET', url: `/api/v1/log/entries/${keyEntry.uuid}/decoded` })
    ).json();
    expect(keyed.verifiers).toEqual([
      {
        kind: 'publicKey',
        keyFingerprint: expect.stringMatching(/^sha256:/),
        keyAlgorithm: 'ecdsa-prime256v1',
      },
    ]);
    expect(
      (
        await tlog.app.inject({
          method: 'GET',
          url: `/api/v1/log/entries/${'0'.repeat(64)}/decoded`,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (await tlog.app.inject({ method: 'GET', url: '/api/v1/log/entries/xyz/decoded' })).statusCode,
    ).toBe(400);
  });
});

// The explorer page: searches the log through its v1 API, shows an entry with its certificates, and
// verifies the entry's inclusion proof and the checkpoint's signature here, with Web Crypto, so that a
// verdict does not rest on the server's word. A plain module script: no build step, no dependencies.

(() => {
  // The page lives at <service>/explorer/, the API at <service>/api/v1/.
  const API = new URL('../api/v1/', window.location.href);
  const MAX_LISTED = 25;

  const $ = (id) => document.getElementById(id);

  /** An element with attributes and children; text is always set as text, never parsed as HTML. */
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value !== undefined && value !== null) node.setAttribute(name, String(value));
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function facts(list, pairs) {
    list.replaceChildren();
    for (const [term, value] of pairs) {
      if (value === undefined || value === null || value === '') continue;
      list.append(el('dt', {}, term), el('dd', {}, value));
    }
  }

  function setStatus(message, kind = 'info') {
    const status = $('status');
    status.hidden = !message;
    status.dataset.kind = kind;
    status.textContent = message || '';
  }

  function setVerdict(node, ok, message) {
    node.dataset.status = ok ? 'verified' : 'failed';
    node.textContent = `${ok ? '✔' : '✘'} ${message}`;
  }

  // ---- bytes -------------------------------------------------------------------------------------

  const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  function bytesOfHex(hex) {
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new Error('not hex');
    const out = new Uint8Array(hex.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
    return out;
  }
  function bytesOfBase64(text) {
    const binary = atob(text);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  }
  const equalBytes = (a, b) => a.length === b.length && a.every((byte, i) => byte === b[i]);

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  // ---- RFC 6962 Merkle hashing and inclusion proofs (RFC 9162 §2.1.3.2) --------------------------

  function requireWebCrypto() {
    if (!window.crypto?.subtle) {
      throw new Error(
        'this page is not a secure context (use HTTPS or localhost), so Web Crypto is unavailable',
      );
    }
  }

  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }
  const hashLeaf = (body) => sha256(concat(Uint8Array.of(0), body));
  const hashChildren = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  function bitLength(n) {
    let bits = 0;
    while (n > 0n) {
      bits++;
      n >>= 1n;
    }
    return bits;
  }
  function popCount(n) {
    let count = 0;
    while (n > 0n) {
      count += Number(n & 1n);
      n >>= 1n;
    }
    return count;
  }

  /** The root an inclusion proof leads to from `leafHash` at `index` in a tree of `size`. */
  async function rootFromInclusionProof(leafHash, index, size, proof) {
    if (index < 0n || index >= size) throw new Error(`index ${index} is not in a tree of ${size}`);
    const inner = bitLength(index ^ (size - 1n));
    const border = popCount(index >> BigInt(inner));
    if (proof.length !== inner + border) {
      throw new Error(
        `a proof for index ${index} in a tree of ${size} has ${inner + border} hashes, not ${proof.length}`,
      );
    }
    let root = leafHash;
    for (let i = 0; i < inner; i++) {
      root =
        (index >> BigInt(i)) & 1n
          ? await hashChildren(proof[i], root)
          : await hashChildren(root, proof[i]);
    }
    for (let i = inner; i < proof.length; i++) root = await hashChildren(proof[i], root);
    return root;
  }

  // ---- checkpoints (c2sp.org/tlog-checkpoint in a signed note) ------------------------------------

  function parseCheckpoint(note) {
    const split = note.lastIndexOf('\n\n');
    if (split < 0) throw new Error('the checkpoint is not a signed note');
    const text = note.slice(0, split + 1);
    const [origin, sizeText, rootText] = text.split('\n');
    if (!origin || !/^(0|[1-9][0-9]*)$/.test(sizeText ?? '') || !rootText) {
      throw new Error('the checkpoint text is malformed');
    }
    const rootHash = bytesOfBase64(rootText);
    if (rootHash.length !== 32) throw new Error('the checkpoint root is not 32 bytes');
    const signatures = note
      .slice(split + 2)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
        if (!match) throw new Error('a signature line is malformed');
        const payload = bytesOfBase64(match[2]);
        return {
          name: match[1],
          keyId: payload.slice(0, 4),
          signature: payload.slice(4),
        };
      });
    return { text, origin, size: BigInt(sizeText), rootHash, signatures };
  }

  /** DER ECDSA-Sig-Value to the fixed-width r||s Web Crypto verifies. */
  function ecdsaDerToRaw(der, width) {
    const fail = () => {
      throw new Error('the signature is not DER ECDSA');
    };
    let offset = 0;
    const readLength = () => {
      let length = der[offset++];
      if (length & 0x80) {
        const count = length & 0x7f;
        length = 0;
        for (let i = 0; i < count; i++) length = length * 256 + der[offset++];
      }
      return length;
    };
    if (der[offset++] !== 0x30) fail();
    readLength();
    const integer = () => {
      if (der[offset++] !== 0x02) fail();
      const length = readLength();
      let value = der.slice(offset, offset + length);
      offset += length;
      while (value.length > 0 && value[0] === 0) value = value.slice(1);
      if (value.length > width) fail();
      return concat(new Uint8Array(width - value.length), value);
    };
    return concat(integer(), integer());
  }

  let logKeyPromise = null;
  /** The log's public key (PEM from the API) imported for ECDSA, with its SPKI fingerprint. */
  function logKey() {
    logKeyPromise ??= (async () => {
      const response = await fetch(new URL('log/publicKey', API));
      if (!response.ok)
        throw new Error(`the log public key could not be fetched (${response.status})`);
      const pem = await response.text();
      const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----|\s+/g, '');
      const spki = bytesOfBase64(body);
      const fingerprint = await sha256(spki);
      for (const [curve, hash, width] of [
        ['P-256', 'SHA-256', 32],
        ['P-384', 'SHA-384', 48],
      ]) {
        try {
          const key = await crypto.subtle.importKey(
            'spki',
            spki,
            { name: 'ECDSA', namedCurve: curve },
            false,
            ['verify'],
          );
          return { key, hash, width, fingerprint };
        } catch {
          // Try the next curve.
        }
      }
      throw new Error('the log key is not an ECDSA P-256 or P-384 key');
    })();
    return logKeyPromise;
  }

  /** Verifies a Rekor v1 checkpoint's signature by the log key (key ID = SHA-256(SPKI)[0:4]). */
  async function verifyCheckpointSignature(checkpoint) {
    const { key, hash, width, fingerprint } = await logKey();
    const keyId = fingerprint.slice(0, 4);
    const line = checkpoint.signatures.find((signature) => equalBytes(signature.keyId, keyId));
    if (!line) throw new Error('no signature line carries the log key ID');
    const ok = await crypto.subtle.verify(
      { name: 'ECDSA', hash },
      key,
      ecdsaDerToRaw(line.signature, width),
      new TextEncoder().encode(checkpoint.text),
    );
    if (!ok) throw new Error('the checkpoint signature does not verify with the log key');
    return { fingerprint: hexOf(fingerprint), name: line.name };
  }

  // ---- API ----------------------------------------------------------------------------------------

  async function api(path, init) {
    const response = await fetch(new URL(path, API), init);
    if (response.status === 404) return null;
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.message || `${path} answered ${response.status}`);
    return body;
  }
  const postJson = (path, body) =>
    api(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  /** The one entry of a Rekor LogEntry ({uuid: entry}), with its UUID. */
  function only(logEntry) {
    const [id, entry] = Object.entries(logEntry)[0];
    return { id, uuid: id.slice(-64), ...entry };
  }

  // ---- search ---------------------------------------------------------------------------------

  /** What a query names: entries by index or UUID, or index searches. */
  function interpret(query) {
    const q = query.trim();
    if (/^(0|[1-9][0-9]{0,15})$/.test(q)) return { index: q };
    if (/^[0-9a-fA-F]{80}$/.test(q)) return { uuid: q.toLowerCase() };
    if (/^[0-9a-fA-F]{64}$/.test(q))
      return { uuid: q.toLowerCase(), search: { hash: `sha256:${q.toLowerCase()}` } };
    const digest = /^(sha256|sha384|sha512):([0-9a-fA-F]+)$/i.exec(q);
    if (digest)
      return { search: { hash: `${digest[1].toLowerCase()}:${digest[2].toLowerCase()}` } };
    if (/^[^\s@]+@[^\s@]+$/.test(q)) return { search: { email: q } };
    if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(q) || /^[a-z][a-z0-9+.-]*:\S+$/i.test(q))
      return { search: { subject: q } };
    return null;
  }

  async function search(query) {
    $('entry').hidden = true;
    $('results').hidden = true;
    const what = interpret(query);
    if (!what) {
      setStatus('Enter a digest, an email or URI identity, a log index or an entry UUID.', 'error');
      return;
    }
    setStatus('Searching…');
    const uuids = new Set();
    if (what.index !== undefined) {
      const entry = await api(`log/entries?logIndex=${what.index}`);
      if (entry) uuids.add(only(entry).uuid);
    }
    if (what.uuid) {
      const entry = await api(`log/entries/${what.uuid}`);
      if (entry) uuids.add(only(entry).uuid);
    }
    if (what.search) {
      for (const uuid of (await postJson('index/retrieve', what.search)) ?? []) uuids.add(uuid);
    }
    if (uuids.size === 1 && (what.index !== undefined || (what.uuid && !what.search))) {
      setStatus('');
      await showEntry([...uuids][0], { replace: true });
      return;
    }
    await showResults(query, [...uuids]);
  }

  async function showResults(query, uuids) {
    const body = $('results-table').querySelector('tbody');
    body.replaceChildren();
    const listed = uuids.slice(0, MAX_LISTED);
    const decoded = await Promise.all(
      listed.map((uuid) => api(`log/entries/${uuid}/decoded`).catch(() => null)),
    );
    decoded.sort((a, b) => (b?.logIndex ?? -1) - (a?.logIndex ?? -1));
    for (const entry of decoded) {
      if (!entry) continue;
      const signer = entry.verifiers
        .map((verifier) =>
          verifier.certificate
            ? verifier.certificate.subjectAlternativeNames.map((san) => san.value).join(', ')
            : verifier.keyFingerprint,
        )
        .join('; ');
      const link = el(
        'a',
        { href: `?entry=${entry.uuid}`, class: 'mono' },
        `${entry.uuid.slice(0, 16)}…`,
      );
      link.addEventListener('click', (event) => {
        event.preventDefault();
        showEntry(entry.uuid).catch(fail);
      });
      body.append(
        el(
          'tr',
          {},
          el('td', {}, String(entry.logIndex)),
          el('td', {}, new Date(entry.integratedTime * 1000).toISOString()),
          el('td', {}, `${entry.kind} ${entry.apiVersion}`),
          el('td', {}, signer),
          el('td', {}, link),
        ),
      );
    }
    const more = uuids.length > listed.length ? ` (showing the newest ${listed.length})` : '';
    $('results-summary').textContent =
      uuids.length === 0
        ? `No entries match “${query}”.`
        : `${uuids.length} entr${uuids.length === 1 ? 'y matches' : 'ies match'} “${query}”${more}.`;
    $('results-table').hidden = uuids.length === 0;
    $('results').hidden = false;
    setStatus('');
    $('results-title').focus();
  }

  // ---- entry ---------------------------------------------------------------------------------

  function certificateCard(verifier, integratedTime) {
    const card = el('div', { class: 'card' });
    if (!verifier.certificate) {
      card.append(el('h3', {}, 'Public key'));
      const list = el('dl', { class: 'facts' });
      facts(list, [
        ['Algorithm', verifier.keyAlgorithm],
        ['Fingerprint', el('span', { class: 'mono' }, verifier.keyFingerprint)],
      ]);
      card.append(list);
      return card;
    }
    const certificate = verifier.certificate;
    const logged = new Date(integratedTime * 1000);
    const validThen =
      logged >= new Date(certificate.notBefore) && logged <= new Date(certificate.notAfter);
    card.append(el('h3', {}, 'Certificate'));
    const list = el('dl', { class: 'facts' });
    facts(list, [
      [
        'Identity (SAN)',
        certificate.subjectAlternativeNames.map((san) => `${san.value} (${san.type})`).join(', ') ||
          '—',
      ],
      ['OIDC issuer', certificate.oidcIssuer],
      ['Subject', certificate.subject || '(empty)'],
      ['Issued by', certificate.issuer],
      ['Serial number', el('span', { class: 'mono' }, certificate.serialNumber)],
      ['Not before', certificate.notBefore],
      ['Not after', certificate.notAfter],
      [
        'Valid when logged',
        validThen ? 'yes' : 'NO: the entry was logged outside the certificate validity',
      ],
      ['Key', `${verifier.keyAlgorithm}, ${verifier.keyFingerprint}`],
      ['Certificate SHA-256', el('span', { class: 'mono' }, certificate.sha256)],
    ]);
    card.append(list);
    const table = el(
      'table',
      {},
      el('caption', { class: 'help' }, 'Extensions'),
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', { scope: 'col' }, 'OID'),
          el('th', { scope: 'col' }, 'Name'),
          el('th', { scope: 'col' }, 'Critical'),
          el('th', { scope: 'col' }, 'Value'),
        ),
      ),
      el(
        'tbody',
        {},
        certificate.extensions.map((extension) =>
          el(
            'tr',
            {},
            el('td', { class: 'mono' }, extension.oid),
            el('td', {}, extension.name ?? ''),
            el('td', {}, extension.critical ? 'yes' : 'no'),
            el('td', { class: 'mono' }, extension.value),
          ),
        ),
      ),
    );
    card.append(table, el('details', {}, el('summary', {}, 'PEM'), el('pre', {}, certificate.pem)));
    return card;
  }

  /** Checks the entry's inclusion proof against its checkpoint, here. Returns the verdict text. */
  async function verifyInclusion(entry, body) {
    requireWebCrypto();
    const proof = entry.verification?.inclusionProof;
    if (!proof) throw new Error('the log sent no inclusion proof');
    const checkpoint = parseCheckpoint(proof.checkpoint);
    const index = BigInt(proof.logIndex);
    const size = BigInt(proof.treeSize);
    if (checkpoint.size !== size)
      throw new Error(`the proof is for size ${size}, the checkpoint for ${checkpoint.size}`);
    if (BigInt(entry.logIndex) !== index) throw new Error('the proof is for another index');
    const leafHash = await hashLeaf(body);
    if (hexOf(leafHash) !== entry.uuid) throw new Error('the entry body does not hash to its UUID');
    const hashes = proof.hashes.map(bytesOfHex);
    const root = await rootFromInclusionProof(leafHash, index, size, hashes);
    facts($('proof-facts'), [
      ['Leaf hash', el('span', { class: 'mono' }, hexOf(leafHash))],
      ['Tree size', String(size)],
      [
        'Proof hashes',
        el(
          'ol',
          { class: 'hashes mono', start: 1 },
          hashes.map((hash) => el('li', {}, hexOf(hash))),
        ),
      ],
      ['Computed root', el('span', { class: 'mono' }, hexOf(root))],
      ['Checkpoint root', el('span', { class: 'mono' }, hexOf(checkpoint.rootHash))],
      ['Checkpoint', el('pre', {}, proof.checkpoint)],
    ]);
    if (!equalBytes(root, checkpoint.rootHash))
      throw new Error('the proof does not lead to the checkpoint root');
    const signed = await verifyCheckpointSignature(checkpoint);
    return `Inclusion proof verified in this browser: entry ${index} is in the tree of size ${size} whose checkpoint is signed by the log key ${signed.fingerprint.slice(0, 16)}…`;
  }

  async function showEntry(uuid, { replace = false } = {}) {
    const url = `?entry=${uuid}`;
    if (replace) history.replaceState({ entry: uuid }, '', url);
    else history.pushState({ entry: uuid }, '', url);
    $('results').hidden = true;
    setStatus('Loading the entry…');
    const [logEntry, decoded] = await Promise.all([
      api(`log/entries/${uuid}`),
      api(`log/entries/${uuid}/decoded`).catch(() => null),
    ]);
    if (!logEntry) {
      $('entry').hidden = true;
      setStatus(`No entry with UUID ${uuid}.`, 'error');
      return;
    }
    const entry = only(logEntry);
    const body = bytesOfBase64(entry.body);
    facts($('entry-facts'), [
      ['UUID', el('span', { class: 'mono' }, entry.uuid)],
      ['Entry ID', el('span', { class: 'mono' }, entry.id)],
      ['Log index', String(entry.logIndex)],
      ['Logged at', new Date(entry.integratedTime * 1000).toISOString()],
      ['Kind', decoded ? `${decoded.kind} ${decoded.apiVersion}` : undefined],
      [
        'Digests',
        decoded?.digests.length
          ? el(
              'ul',
              {},
              decoded.digests.map((d) => el('li', { class: 'mono' }, `${d.algorithm}:${d.value}`)),
            )
          : undefined,
      ],
      ['Log ID', el('span', { class: 'mono' }, entry.logID)],
    ]);
    $('verifiers').replaceChildren(
      ...(decoded ? decoded.verifiers.map((v) => certificateCard(v, entry.integratedTime)) : []),
    );
    try {
      $('entry-body').textContent = JSON.stringify(
        JSON.parse(new TextDecoder().decode(body)),
        null,
        2,
      );
    } catch {
      $('entry-body').textContent = entry.body;
    }
    $('proof-facts').replaceChildren();
    const verdict = $('proof-status');
    verdict.dataset.status = 'pending';
    verdict.textContent = 'Verifying the inclusion proof…';
    $('entry').hidden = false;
    setStatus('');
    $('entry-title').focus();
    try {
      setVerdict(verdict, true, await verifyInclusion(entry, body));
    } catch (error) {
      setVerdict(verdict, false, `Inclusion proof NOT verified: ${error.message}`);
    }
  }

  // ---- latest checkpoint ------------------------------------------------------------------------

  async function showCheckpoint() {
    const status = $('checkpoint-status');
    try {
      const info = await api('log');
      $('checkpoint-note').textContent = info.signedTreeHead;
      const checkpoint = parseCheckpoint(info.signedTreeHead);
      facts($('checkpoint-facts'), [
        ['Origin', checkpoint.origin],
        ['Tree size', String(checkpoint.size)],
        ['Root hash', el('span', { class: 'mono' }, hexOf(checkpoint.rootHash))],
        ['Tree ID', info.treeID],
      ]);
      requireWebCrypto();
      if (
        info.rootHash !== hexOf(checkpoint.rootHash) ||
        BigInt(info.treeSize) !== checkpoint.size
      ) {
        throw new Error('the log info does not match its signed checkpoint');
      }
      const signed = await verifyCheckpointSignature(checkpoint);
      facts($('checkpoint-facts'), [
        ['Origin', checkpoint.origin],
        ['Tree size', String(checkpoint.size)],
        ['Root hash', el('span', { class: 'mono' }, hexOf(checkpoint.rootHash))],
        ['Tree ID', info.treeID],
        ['Log key fingerprint (log ID)', el('span', { class: 'mono' }, signed.fingerprint)],
      ]);
      setVerdict(
        status,
        true,
        `Checkpoint signature verified in this browser (key ${signed.name})`,
      );
    } catch (error) {
      setVerdict(status, false, `Checkpoint NOT verified: ${error.message}`);
    }
  }

  // ---- routing: the URL holds the search or the entry, so any view can be shared -----------------

  function fail(error) {
    setStatus(`Something went wrong: ${error.message}`, 'error');
  }

  function route() {
    const params = new URLSearchParams(window.location.search);
    const entry = params.get('entry');
    const q = params.get('q');
    if (entry && /^[0-9a-f]{64}([0-9a-f]{16})?$/.test(entry)) {
      showEntry(entry, { replace: true }).catch(fail);
    } else if (q) {
      $('q').value = q;
      search(q).catch(fail);
    } else {
      $('entry').hidden = true;
      $('results').hidden = true;
      setStatus('');
    }
  }

  $('search').addEventListener('submit', (event) => {
    event.preventDefault();
    const q = $('q').value.trim();
    history.pushState({ q }, '', `?q=${encodeURIComponent(q)}`);
    search(q).catch(fail);
  });
  window.addEventListener('popstate', route);
  route();
  showCheckpoint();
})();

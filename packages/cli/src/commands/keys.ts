// `airlock keys generate|list|export-public`: keys in an HSM token (pkcs11:) or encrypted files (file:).
import { createHash, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
// @airlock/keys (and the PKCS#11 module with it) loads only when a keys command runs.
import type { SignatureAlgorithm } from '@airlock/keys';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';

const ALGORITHMS: Record<string, SignatureAlgorithm> = {
  'ecdsa-p256': 'ecdsa-p256-sha256',
  'ecdsa-p384': 'ecdsa-p384-sha384',
  ed25519: 'ed25519',
};

function pem(key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }) as string;
}

function fingerprint(key: KeyObject): string {
  return `sha256:${createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex')}`;
}

export function registerKeysCommands(program: Command, print: (line: string) => void): void {
  const keys = program
    .command('keys')
    .description(
      'manage signing keys in an HSM token (pkcs11: URIs) or encrypted files (file: URIs)',
    );

  keys
    .command('generate')
    .description(
      'generate a key (in a token: sensitive and never extractable) and print its public key',
    )
    .requiredOption(
      '--key <uri>',
      'where: pkcs11:token=…;object=<label>?module-path=…&pin-source=… or file:<path>',
    )
    .option('--algorithm <name>', `one of ${Object.keys(ALGORITHMS).join(', ')}`, 'ecdsa-p256')
    .action(async (flags: { key: string; algorithm: string }) => {
      const algorithm = ALGORITHMS[flags.algorithm];
      if (!algorithm)
        throw new UsageError(`--algorithm must be one of ${Object.keys(ALGORITHMS).join(', ')}`);
      const { generateKey } = await import('@airlock/keys');
      const publicKey = await generateKey(flags.key, algorithm);
      print(pem(publicKey).trimEnd());
    });

  keys
    .command('list')
    .description("list a token's private keys: label, id, algorithm, protection, fingerprint")
    .requiredOption('--token <uri>', 'pkcs11:token=<label>?module-path=…&pin-source=…')
    .action(async (flags: { token: string }) => {
      const { listTokenKeys } = await import('@airlock/keys');
      for (const key of await listTokenKeys(flags.token)) {
        const protection = `${key.sensitive ? 'sensitive' : 'NOT-SENSITIVE'},${key.extractable ? 'EXTRACTABLE' : 'non-extractable'}`;
        print(
          [
            key.label,
            `id=${Buffer.from(key.id).toString('hex')}`,
            key.algorithm ?? 'unsupported',
            protection,
            key.publicKey ? fingerprint(key.publicKey) : 'no-public-key',
          ].join('\t'),
        );
      }
    });

  keys
    .command('export-public')
    .description('print (or write) the public key of a key, as PEM')
    .requiredOption('--key <uri>', 'a pkcs11: or file: key URI')
    .option('--output <file>', 'write the PEM to this file instead of stdout')
    .action(async (flags: { key: string; output?: string }) => {
      const { readPublicKey } = await import('@airlock/keys');
      const text = pem(await readPublicKey(flags.key));
      if (flags.output) writeFileSync(flags.output, text);
      else print(text.trimEnd());
    });
}

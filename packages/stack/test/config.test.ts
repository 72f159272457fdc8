// airlock up --config: one YAML file, validated before anything starts; a bad key is named in one line.
import { ENV_OVERRIDES, parseStackConfig, STACK_KEYS, StackConfigError } from '@airlock/stack';
import { describe, expect, it } from 'vitest';

const parse = (text: string, env: NodeJS.ProcessEnv = {}) =>
  parseStackConfig(text, 'airlock.yaml', env);
function failure(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parse(text, env);
  } catch (error) {
    expect(error).toBeInstanceOf(StackConfigError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('stack configuration', () => {
  it('accepts a full configuration', () => {
    const config = parse(`
dir: /var/lib/airlock
host: sigstore.corp.example
ports: { ca: 8080, tlog: 8081, ctlog: 8082, tsa: 8083, tuf: 8084, oidc: 8085 }
oidc:
  issuers:
    https://keycloak.corp.example/realms/eng: { issuer-url: https://keycloak.corp.example/realms/eng, type: email }
tlog: { batchMaxSize: 512, batchMaxAgeMs: 10, maxPending: 10000 }
keys:
  ca-intermediate: "pkcs11:token=ca;object=intermediate?module-path=/usr/lib/vendor.so&pin-source=/run/secrets/pin"
`);
    expect(config.host).toBe('sigstore.corp.example');
    expect(config.ports?.tlog).toBe(8081);
    expect(config.keys?.['ca-intermediate']).toMatch(/^pkcs11:/);
    expect(parse('')).toEqual({});
  });

  it('names the bad key in one line', () => {
    expect(failure('ports: { tlgo: 3000 }')).toBe('airlock.yaml: ports.tlgo is not a known key');
    expect(failure('prots: {}')).toBe('airlock.yaml: prots is not a known key');
    expect(failure('ports: { ca: "http" }')).toBe('airlock.yaml: ports.ca must be integer');
    expect(failure('ports: { ca: 70000 }')).toBe('airlock.yaml: ports.ca must be <= 65535');
    expect(failure('host: "http://x"')).toMatch(/^airlock.yaml: host must match pattern/);
    expect(failure('tlog: { maxPending: 0 }')).toBe('airlock.yaml: tlog.maxPending must be >= 1');
    expect(failure('keys: { ca-root: "aws:kms" }')).toMatch(
      /^airlock.yaml: keys.ca-root must match pattern/,
    );
    expect(failure('keys: { nobody: "file:x" }')).toBe(
      'airlock.yaml: keys.nobody is not a known key',
    );
    expect(failure('- a list')).toBe('airlock.yaml: the configuration must be a mapping of keys');
    expect(failure('ports: [1')).toMatch(/^airlock.yaml: not valid YAML/);
    for (const message of [failure('ports: { tlgo: 3000 }'), failure('ports: [1')])
      expect(message).not.toContain('\n');
  });

  it('refuses secrets in the file: PINs come from pin-source files or the environment', () => {
    const message = failure('keys: { ca-root: "pkcs11:token=a;object=b?pin-value=123456" }');
    expect(message).toBe(
      'airlock.yaml: keys.ca-root must not hold a secret (use pin-source= or an environment variable)',
    );
    expect(message).not.toContain('123456');
  });

  it('lets the environment override scalar keys', () => {
    const config = parse('ports: { ca: 8080 }', {
      AIRLOCK_PORTS_CA: '9090',
      AIRLOCK_HOST: 'ca.corp.example',
      AIRLOCK_TLOG_MAX_PENDING: '50',
    });
    expect(config).toMatchObject({
      ports: { ca: 9090 },
      host: 'ca.corp.example',
      tlog: { maxPending: 50 },
    });
    expect(failure('', { AIRLOCK_PORTS_TSA: '-1' })).toMatch(/ports.tsa/);
    expect(Object.keys(ENV_OVERRIDES)).toContain('AIRLOCK_PORTS_TUF');
  });

  it('has a key override for every ceremony key', () => {
    for (const name of Object.keys(STACK_KEYS))
      expect(parse(`keys: { ${name}: "file:/x.pem" }`).keys).toBeDefined();
  });
});

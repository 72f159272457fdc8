// Types of healthcheck.mjs, for the deployment tests that import its address logic.
export declare const SERVE_DEFAULT_PORTS: Readonly<
  Record<'ca' | 'ctlog' | 'tlog' | 'tsa' | 'tuf', number>
>;
export declare function readinessUrl(argv: readonly string[]): string | null;

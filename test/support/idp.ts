// The test IdP lives in @airlock/dev-idp (the development stack runs it too).
export * from '@airlock/dev-idp';

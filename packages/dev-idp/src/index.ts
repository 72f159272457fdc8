// @airlock/dev-idp: a real OpenID provider on loopback that issues Sigstore-shaped identity tokens.
// For tests and the development stack only: any login succeeds.
export {
  DEFAULT_TEST_ACCOUNTS,
  loginToken,
  reserveLoopbackPort,
  type StartTestIdpOptions,
  startTestIdp,
  TEST_IDP_CLIENTS,
  type TestAccountClaims,
  type TestIdp,
} from './provider.js';

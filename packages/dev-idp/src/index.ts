// @airlock/dev-idp: a real OpenID provider on loopback that issues Sigstore-shaped identity tokens.
// For tests and the development stack only: any login succeeds.
export {
  approveDeviceCode,
  DEFAULT_TEST_ACCOUNTS,
  DEVICE_VERIFICATION_PATH,
  declineDeviceCode,
  loginToken,
  reserveLoopbackPort,
  type StartTestIdpOptions,
  startTestIdp,
  TEST_IDP_CLIENTS,
  type TestAccountClaims,
  type TestIdp,
} from './provider.js';

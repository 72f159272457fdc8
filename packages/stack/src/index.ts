// @airlock/stack: the development stack — key ceremony, trust root and every service on loopback.
export {
  ENV_OVERRIDES,
  loadStackConfig,
  parseStackConfig,
  STACK_CONFIG_SCHEMA,
  type StackConfig,
  StackConfigError,
} from './config.js';
export {
  ensureStackKeys,
  type KeyBackend,
  loadOrCreateState,
  SOFTHSM_MODULE,
  STACK_KEYS,
  STACK_TOKEN_LABEL,
  type StackKeyName,
  type StackKeyUris,
  type StackState,
  softHsmInstalled,
} from './keys.js';
export { type StackLayout, stackLayout } from './layout.js';
export {
  DEFAULT_STACK_PORTS,
  type RunningStack,
  STACK_HOST,
  STACK_OPERATOR,
  type StackDescription,
  type StackOptions,
  type StackPorts,
  startStack,
} from './stack.js';

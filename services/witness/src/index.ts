// @airlock/witness: a C2SP tlog-witness that cosigns consistent checkpoints of the logs it follows.
export { WitnessError, type WitnessErrorCode } from './errors.js';
export {
  type AddCheckpointRequest,
  formatAddCheckpoint,
  MAX_PROOF_LINES,
  parseAddCheckpoint,
} from './request.js';
export { createWitnessServer, WITNESS_BODY_LIMIT, witnessPlugin } from './server.js';
export { type RunningWitness, type StartWitnessOptions, startWitness } from './start.js';
export { type CosignedCheckpoint, STATE_FILE, WitnessStateStore } from './state.js';
export { logVerifierFromText, Witness, type WitnessedLog, type WitnessOptions } from './witness.js';

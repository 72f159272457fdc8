// @airlock/cli as a library: run the airlock command line in-process (tests, embedding).
export { CheckFailed, EXIT, UsageError } from './errors.js';
export { buildProgram, type CliIo, cliVersion, runCli } from './main.js';

// How a command ends: a usage error (exit 2), a failed check (exit 1), or success (exit 0).
// The CLI prints one line for each and never a stack trace for a user's mistake.

/** The exit codes every airlock command uses. */
export const EXIT = { ok: 0, checkFailed: 1, usage: 2, internal: 3 } as const;

/** Bad flags, unreadable files, malformed input: the user must change the command. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A signature, proof or policy check that did not pass: the verdict is "no". */
export class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

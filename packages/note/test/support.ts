// Helpers shared by the @airlock/note tests.
import { NoteError, type NoteErrorCode } from '@airlock/note';

/** The code of the NoteError `run` throws; fails the test if it returns or throws anything else. */
export function noteErrorCode(run: () => unknown): NoteErrorCode {
  try {
    run();
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
  throw new Error('expected a NoteError, got none');
}

/** The same for async work. */
export async function asyncNoteErrorCode(run: () => Promise<unknown>): Promise<NoteErrorCode> {
  try {
    await run();
  } catch (error) {
    if (error instanceof NoteError) return error.code;
    throw error;
  }
  throw new Error('expected a NoteError, got none');
}

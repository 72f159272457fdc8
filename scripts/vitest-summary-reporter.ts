// Ends a test run with one plain line, "tests: N passed, N failed, N skipped", for CI logs.
import type { Reporter, RunnerTask, RunnerTestFile } from 'vitest';

function countTests(
  tasks: readonly RunnerTask[],
  counts: Record<'passed' | 'failed' | 'skipped', number>,
) {
  for (const task of tasks) {
    if (task.type === 'suite') countTests(task.tasks, counts);
    else if (task.result?.state === 'pass') counts.passed++;
    else if (task.result?.state === 'fail') counts.failed++;
    else counts.skipped++;
  }
}

export default class SummaryReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    countTests(files, counts);
    // A file that failed without a failing test (an import error, a failed beforeAll) fails the run too.
    const hasFailedTest = (tasks: readonly RunnerTask[]): boolean =>
      tasks.some(
        (task) =>
          task.result?.state === 'fail' || (task.type === 'suite' && hasFailedTest(task.tasks)),
      );
    counts.failed += files.filter(
      (file) => file.result?.state === 'fail' && !hasFailedTest(file.tasks),
    ).length;
    process.stdout.write(
      `\ntests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`,
    );
  }
}

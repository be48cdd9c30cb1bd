// Mocha's spec reporter plus a last line "N passed, N failed[, N skipped]",
// so a run that executed no test is visible to CI and to people.
'use strict';
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      const skipped = pending > 0 ? `, ${pending} skipped` : '';
      // After the spec reporter's epilogue, which it prints on the same event.
      setImmediate(() => process.stdout.write(`\n${passes} passed, ${failures} failed${skipped}\n`));
    });
  }
}

module.exports = SummaryReporter;

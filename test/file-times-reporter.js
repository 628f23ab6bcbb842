// Mocha's spec reporter plus, at the end, the wall time each test file took (its hooks included:
// the real-engine and real-guest files spend most of theirs in before/after), slowest first. CI's
// time budget is spent per file; this is what says where.
"use strict";
const Mocha = require("mocha");
const path = require("node:path");

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_RUN_END } = Mocha.Runner.constants;

class FileTimesReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const started = new Map();
    const spent = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      // A file's top-level describe blocks are the root suite's children and carry the file.
      if (suite.parent && suite.parent.root && suite.file) started.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const t0 = started.get(suite);
      if (t0 === undefined) return;
      const file = path.relative(process.cwd(), suite.file);
      spent.set(file, (spent.get(file) || 0) + (Date.now() - t0));
    });
    runner.once(EVENT_RUN_END, () => {
      const rows = [...spent].sort((a, b) => b[1] - a[1]);
      const total = rows.reduce((s, [, ms]) => s + ms, 0);
      console.log(
        `\n  time per test file (${rows.length} files, ${Math.round(total / 1000)} s in all), slowest first:`,
      );
      for (const [file, ms] of rows.slice(0, 40)) console.log(`  ${(ms / 1000).toFixed(1).padStart(8)} s  ${file}`);
    });
  }
}

module.exports = FileTimesReporter;

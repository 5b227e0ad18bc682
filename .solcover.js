// Harnesses under contracts/test are never deployed; keep them out of the coverage figures.
module.exports = {
  skipFiles: ["test/"],
  configureYulOptimizer: true,
  mocha: { grep: "@no-coverage", invert: true },
};

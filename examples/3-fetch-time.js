// A Node.js job: async work with promises, then a result line.
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  console.log(`Node.js ${process.version}: waiting for two timers`);
  const started = Date.now();
  await Promise.all([wait(150), wait(250)]);
  console.log(`both done after ${Date.now() - started} ms`);
}

main();

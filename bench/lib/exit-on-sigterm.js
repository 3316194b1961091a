/**
 * Preloaded (node --import) into a profiled child: turns SIGTERM into process.exit(0), so
 * that Node writes the --cpu-prof profile, which it does not when killed by the signal.
 */
process.on("SIGTERM", () => process.exit(0));

// Placeholder; the CLI lands with the engine issue.
process.stdout.write('livestream-inspector CLI\n');

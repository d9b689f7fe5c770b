import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['functions/**/*.test.ts', 'events/**/*.test.ts', 'scripts/**/*.test.ts', 'local/**/*.test.ts'],
    // Each file gets its own process and its own database.
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});

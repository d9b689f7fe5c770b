// The architecture of functions/README.md ("Who may import what") and the type-aware rules are
// enforced by eslint.config.js: each rule is shown to bite on a deliberate violation placed where
// it matters, and the same import is shown to pass where it is allowed.
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

// Probe files do not exist on disk: the project service takes them into a default project built
// from tsconfig.json, so the type-aware rules and the import resolver see them as project files.
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    languageOptions: {
      parserOptions: {
        projectService: {
          allowDefaultProject: ['*/lint-probe*.ts', '*/*/lint-probe*.ts', '*/*/*/lint-probe*.ts'],
          defaultProject: 'tsconfig.json',
          // One probe path per folder whose rules differ.
          maximumDefaultProjectFileMatchCount_THIS_WILL_SLOW_DOWN_LINTING: 16,
        },
      },
    },
  },
});

const lint = async (filePath: string, code: string): Promise<Linter.LintMessage[]> => {
  const [result] = await eslint.lintText(code, { filePath });
  return result?.messages ?? [];
};

// The first lint builds the TypeScript program of the whole project: slow on a busy machine.
beforeAll(() => lint('functions/billing/lint-probe.ts', 'export {};\n'), 120_000);

/** A module that imports `from` and uses it, so that nothing but the import can be wrong. */
const importing = (from: string) => `import * as imported from '${from}';\n\nexport const probe = imported;\n`;

const FRAMEWORKS = ['@google-cloud/functions-framework', '@middy/core', 'ajv', 'ajv-formats', 'pg', 'jose', 'kafkajs', 'cloudevents'];
const PATHS = 'import-x/no-restricted-paths';
const PACKAGES = 'no-restricted-imports';

const expectBites = async (filePath: string, code: string, rule: string, message: string) => {
  const messages = await lint(filePath, code);
  expect(messages.map((m) => ({ rule: m.ruleId, message: m.message }))).toContainEqual({ rule, message: expect.stringContaining(message) as string });
};

const expectClean = async (filePath: string, code: string) => {
  expect((await lint(filePath, code)).map((m) => `${m.ruleId}: ${m.message}`)).toEqual([]);
};

describe('a context', () => {
  it('never imports another context, at any depth, nor the registry', async () => {
    const message = 'A context never imports another context or the registry: order shares only events/ and the runtime';
    await expectBites('functions/order/commands/lint-probe.ts', importing('../../billing/store.js'), PATHS, message);
    await expectBites('functions/order/lint-probe.ts', importing('../catalog/index.js'), PATHS, message);
    await expectBites('functions/order/lint-probe.ts', importing('../index.js'), PATHS, message);
    await expectBites('functions/order/lint-probe.test.ts', importing('../billing/store.js'), PATHS, message);
  });

  it('imports its own modules, the runtime and the events package', async () => {
    await expectClean('functions/order/commands/lint-probe.ts', importing('../store.js'));
    await expectClean('functions/order/commands/lint-probe.ts', importing('../../runtime/errors.js'));
    await expectClean('functions/order/commands/lint-probe.ts', importing('../../../events/index.js'));
  });

  it.each(FRAMEWORKS)('never imports %s: the runtime does', async (name) => {
    await expectBites('functions/billing/lint-probe.ts', importing(name), PACKAGES, `In a context, ${name} is not imported`);
  });

  it.each(['pg', '@google-cloud/functions-framework'])('never imports %s at run time either (import())', async (name) => {
    const code = `export const later = () => import('${name}');\n`;
    await expectBites('functions/billing/lint-probe.ts', code, 'no-restricted-syntax', `In a context, ${name} is not imported`);
    await expectClean('functions/runtime/lint-probe.ts', code);
  });

  it('never imports another context at run time either (import())', async () => {
    await expectBites(
      'functions/order/lint-probe.ts',
      "export const later = () => import('../billing/store.js');\n",
      PATHS,
      'A context never imports another context',
    );
  });

  it('never imports a framework through a subpath either', async () => {
    await expectBites('functions/billing/lint-probe.ts', importing('ajv/dist/2020.js'), PACKAGES, 'In a context, ajv is not imported');
  });
});

describe('the runtime', () => {
  it.each(FRAMEWORKS)('imports %s', async (name) => {
    await expectClean('functions/runtime/lint-probe.ts', importing(name));
  });

  it('knows no context and not the registry: functions come in as arguments', async () => {
    const message = 'The runtime knows no context: take the functions as arguments';
    await expectBites('functions/runtime/lint-probe.ts', importing('../index.js'), PATHS, message);
    await expectBites('functions/runtime/lint-probe.ts', importing('../customer/admin.js'), PATHS, message);
  });
});

describe('the events package', () => {
  it('imports cloudevents, and ajv only in its one schema module', async () => {
    await expectClean('events/lint-probe.ts', importing('cloudevents'));
    await expectClean('events/validation.ts', importing('ajv'));
    await expectBites('events/lint-probe.ts', importing('ajv'), PACKAGES, 'In the events package, ajv is not imported');
  });

  it.each(['@google-cloud/functions-framework', '@middy/core', 'pg', 'jose', 'kafkajs'])('never imports %s', async (name) => {
    await expectBites('events/lint-probe.ts', importing(name), PACKAGES, `In the events package, ${name} is not imported`);
  });

  it('imports neither the runtime nor a context', async () => {
    const message = 'The events package stands alone: it imports neither the runtime nor a context';
    await expectBites('events/lint-probe.ts', importing('../functions/runtime/errors.js'), PATHS, message);
    await expectBites('events/lint-probe.ts', importing('../functions/billing/store.js'), PATHS, message);
  });
});

describe('the local platform and the scripts', () => {
  it('reach functions through the registry and the runtime, never a context', async () => {
    await expectBites('local/lint-probe.ts', importing('../functions/customer/admin.js'), PATHS, 'The local platform knows no context');
    await expectClean('local/lint-probe.ts', importing('../functions/index.js'));
    await expectClean('local/lint-probe.ts', importing('../functions/runtime/db.js'));
  });

  it.each(['local', 'scripts'])('%s/ uses pg and kafkajs for its own infrastructure', async (folder) => {
    await expectClean(`${folder}/lint-probe.ts`, importing('pg'));
    await expectClean(`${folder}/lint-probe.ts`, importing('kafkajs'));
  });

  it.each(['@google-cloud/functions-framework', '@middy/core', 'ajv', 'jose'])('never imports %s directly: it goes through the runtime', async (name) => {
    await expectBites('local/lint-probe.ts', importing(name), PACKAGES, `In local/ and scripts/, ${name} is not imported`);
    await expectBites('scripts/lint-probe.ts', importing(name), PACKAGES, `In local/ and scripts/, ${name} is not imported`);
  });
});

describe('a test', () => {
  it('observes with pg, kafkajs, jose, ajv and cloudevents, but never serves a function by hand', async () => {
    for (const name of ['pg', 'kafkajs', 'jose', 'ajv', 'cloudevents']) await expectClean('functions/customer/lint-probe.test.ts', importing(name));
    await expectBites('functions/customer/lint-probe.test.ts', importing('@google-cloud/functions-framework'), PACKAGES, 'In a test');
    await expectBites('scripts/lint-probe.test.ts', importing('@middy/core'), PACKAGES, 'In a test');
  });

  it('never calls fetch itself: its answers go through a client that checks them against the contract', async () => {
    const bare = "export const probe = (url: string) => fetch(url, { method: 'POST' });\n";
    await expectBites('local/lint-probe.test.ts', bare, 'no-restricted-globals', "local/testing.ts's httpClient");
    await expectBites('functions/billing/lint-probe.test.ts', bare, 'no-restricted-globals', 'checked against the contract');
    await expectClean(
      'local/lint-probe.test.ts',
      "import { checkedFetch } from './testing.js';\n\nexport const probe = (url: string) => checkedFetch(url, { method: 'POST' });\n",
    );
  });
});

describe('the type-aware rules', () => {
  const at = 'functions/billing/lint-probe.ts';

  it('refuse a promise left floating, or handed to what expects no promise', async () => {
    await expectBites(
      at,
      'export const later = async () => 1;\nvoid later;\nlater();\n',
      '@typescript-eslint/no-floating-promises',
      'Promises must be awaited',
    );
    await expectBites(at, 'export const each = () => [1].forEach(async () => {});\n', '@typescript-eslint/no-misused-promises', 'Promise returned');
  });

  it('refuse awaiting what is no promise, and an assertion that changes nothing', async () => {
    await expectBites(at, 'export const once = async () => {\n  await 1;\n};\n', '@typescript-eslint/await-thenable', 'Unexpected `await` of a non-Promise');
    await expectBites(
      at,
      "const name: string = 'x';\nexport const same = name as string;\n",
      '@typescript-eslint/no-unnecessary-type-assertion',
      'unnecessary',
    );
  });

  it('refuse a switch over a union that forgets a member', async () => {
    const code =
      "type Status = 'draft' | 'sent';\nexport const label = (status: Status): string => {\n  switch (status) {\n    case 'draft':\n      return 'd';\n  }\n  return '';\n};\n";
    await expectBites(at, code, '@typescript-eslint/switch-exhaustiveness-check', 'not exhaustive');
  });
});

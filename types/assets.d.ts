// esbuild (and tsx in tests) load .sql files as text: see build.mjs and test/helpers/register.ts.
declare module '*.sql' {
  const text: string;
  export = text;
}

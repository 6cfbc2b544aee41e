import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = join(__dirname, '..', '..');

/**
 * Type-check `files` (.mts programs in `dir`) together, with the project's
 * strictness and module nodenext, and compile them to .mjs beside them.
 * Returns the diagnostics, one line each (empty when all is well).
 */
export function compilePrograms(files: string[], dir: string): string[] {
  const base = JSON.parse(readFileSync(join(ROOT, 'tsconfig.base.json'), 'utf8')).compilerOptions;
  const { options, errors } = ts.convertCompilerOptionsFromJson(
    { ...base, module: 'nodenext', moduleResolution: 'nodenext', composite: false, declaration: false, declarationMap: false, sourceMap: false, outDir: dir, rootDir: dir },
    dir,
  );
  if (errors.length > 0) return errors.map((e) => ts.flattenDiagnosticMessageText(e.messageText, '\n'));
  const program = ts.createProgram(files, options);
  const emitted = program.emit();
  return [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics].map((d) => {
    const where = d.file && d.start !== undefined ? `${d.file.fileName}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}: ` : '';
    return `${where}${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

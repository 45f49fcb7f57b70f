import { CroniumError } from './errors';
import { ErrorCodes } from './protocol/errors';
import type { VariableDto } from './protocol/variables';
import type { Redactor } from './logs/redactor';
import type { SecretBox } from './secrets/secretBox';
import type { VariableStore } from './store/variableStore';

/** Variables shared by jobs; secret values are sealed at rest and redacted from logs. */
export class Variables {
  constructor(
    private readonly store: VariableStore,
    private readonly secrets: SecretBox,
    private readonly redactor: Redactor,
  ) {
    this.refreshRedactor();
  }

  /** The value, or undefined when there is no such variable. */
  get(key: string): unknown {
    const row = this.store.get(key);
    if (row === undefined) return undefined;
    return JSON.parse(row.secret === 1 ? this.secrets.open(row.value) : row.value) as unknown;
  }

  /** Sets a value; an existing secret stays secret unless `secret` says otherwise. */
  set(key: string, value: unknown, options: { secret?: boolean; description?: string } = {}): VariableDto {
    const secret = options.secret ?? this.store.get(key)?.secret === 1;
    const json = JSON.stringify(value ?? null);
    this.store.upsert({
      key,
      value: secret ? this.secrets.seal(json) : json,
      secret,
      description: options.description ?? null,
    });
    if (secret) this.refreshRedactor();
    return this.dto(key) as VariableDto;
  }

  delete(key: string): void {
    const row = this.store.get(key);
    if (row === undefined) throw notFound(key);
    this.store.delete(key);
    if (row.secret === 1) this.refreshRedactor();
  }

  /** Secrets are listed with their value masked. */
  list(): VariableDto[] {
    return this.store.list().map((row) => this.toDto(row.key, row.secret === 1, row.description, row.updated_at, row.value));
  }

  dto(key: string, reveal = false): VariableDto | undefined {
    const row = this.store.get(key);
    if (row === undefined) return undefined;
    const dto = this.toDto(row.key, row.secret === 1, row.description, row.updated_at, row.value);
    if (reveal && row.secret === 1) dto.value = this.get(key);
    return dto;
  }

  require(key: string, reveal: boolean): VariableDto {
    const dto = this.dto(key, reveal);
    if (dto === undefined) throw notFound(key);
    return dto;
  }

  private toDto(key: string, secret: boolean, description: string | null, updatedAt: number, stored: string): VariableDto {
    return {
      key,
      secret,
      description,
      updatedAt: new Date(updatedAt).toISOString(),
      value: secret ? '***' : (JSON.parse(stored) as unknown),
    };
  }

  private refreshRedactor(): void {
    const values: string[] = [];
    for (const row of this.store.secrets()) {
      const value = JSON.parse(this.secrets.open(row.value)) as unknown;
      values.push(typeof value === 'string' ? value : JSON.stringify(value));
    }
    this.redactor.setSecrets(values);
  }
}

function notFound(key: string): CroniumError {
  return new CroniumError(ErrorCodes.VariableNotFound, 'variable_not_found', `No variable ${key}`, {
    key,
    hint: { action: 'list_variables' },
  });
}

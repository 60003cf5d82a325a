// ovsdb-server's SSL settings, each a file name or a `db:DB,TABLE,COLUMN` reference to a string
// column of a served database (how the standard startup passes
// `--private-key=db:Open_vSwitch,SSL,private_key`). Owns resolving them, as upstream's
// reconfigure_ssl does: the first non-empty string in that column, upstream's error texts for a
// reference that names no such database, table or string column. Promises: after
// installSslConfig, every new SSL stream resolves the settings against the databases as they are
// then, so a changed SSL row or a replaced key file takes effect on the next connection.

import type { OvsdbServer } from "./server.ts";
import type { SslOptionStrings } from "../../net/ssl_options.ts";
import {
  sslSetCaCertFile,
  sslSetCiphers,
  sslSetKeyAndCert,
  sslSetProtocols,
  sslSetRefresher,
} from "../../net/stream_ssl_config.ts";
import { vlogModule } from "../../net/vlog.ts";

const log = vlogModule("ovsdb_server");

/**
 * The value `name` stands for: itself, or for `db:DB,TABLE,COLUMN` the first non-empty string
 * in that column (undefined when there is none). Problems are appended to `errors`.
 */
export function queryDbString(
  server: OvsdbServer,
  name: string | undefined,
  errors: string[],
): string | undefined {
  if (name === undefined || !name.startsWith("db:")) return name;
  // strtok: the tokens after "db:", split on commas, empty ones skipped.
  const tokens = name.slice(name.indexOf(":") + 1).split(",").filter((t) => t !== "");
  const [dbName, tableName, columnName] = tokens;
  if (dbName === undefined || tableName === undefined || columnName === undefined) {
    errors.push(`"${name}": invalid syntax`);
    return undefined;
  }
  const database = server.database(dbName);
  if (!database) {
    errors.push(`"${name}": no database named ${dbName}`);
    return undefined;
  }
  const table = database.tables.get(tableName);
  if (!table) {
    errors.push(`"${name}": no table named ${tableName}`);
    return undefined;
  }
  const column = table.schema.columns.get(columnName);
  if (!column) {
    errors.push(`"${name}": table "${tableName}" has no column "${columnName}"`);
    return undefined;
  }
  if (column.type.key.type !== "string" || column.type.value !== null) {
    errors.push(
      `"${name}": table "${table.schema.name}" column "${column.name}" is not string or set of ` +
        "strings",
    );
    return undefined;
  }
  for (const row of table.iterate()) {
    for (const key of row.fields[column.index]?.keys ?? []) {
      if (typeof key === "string" && key !== "") return key;
    }
  }
  return undefined;
}

/** Applies the settings as they resolve now; returns the problems, one per line, or undefined. */
export function reconfigureSsl(server: OvsdbServer, strings: SslOptionStrings): string | undefined {
  const errors: string[] = [];
  const privateKey = queryDbString(server, strings.privateKey, errors);
  const certificate = queryDbString(server, strings.certificate, errors);
  const caCert = queryDbString(server, strings.caCert, errors);
  const protocols = queryDbString(server, strings.protocols, errors);
  const ciphers = queryDbString(server, strings.ciphers, errors);
  sslSetKeyAndCert(privateKey, certificate);
  sslSetCaCertFile(caCert, strings.bootstrapCaCert);
  sslSetProtocols(protocols);
  sslSetCiphers(ciphers);
  return errors.length > 0 ? errors.map((e) => `${e}\n`).join("") : undefined;
}

/**
 * Resolves the settings once (a problem then is fatal, as at upstream's startup: the text to die
 * with is returned) and from then on before every new SSL stream, logging a problem when it
 * differs from the last one (report_error_if_changed).
 */
export function installSslConfig(
  server: OvsdbServer,
  strings: SslOptionStrings,
): string | undefined {
  const error = reconfigureSsl(server, strings);
  if (error !== undefined) return error;
  let lastError: string | undefined;
  sslSetRefresher(() => {
    const problem = reconfigureSsl(server, strings);
    if (problem !== undefined && problem !== lastError) log.warn(problem.trimEnd());
    lastError = problem;
  });
  return undefined;
}

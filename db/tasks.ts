/** SQL of the metric catalog: the registry's metrics as session_summary's checks read them. */
import type { TaskRegistry } from "../core/tasks.ts";
import type { Sql } from "./client.ts";

/** Returns the catalog rows of a registry (one per metric of every task). */
export function catalogRows(registry: TaskRegistry) {
  return registry.tasks.flatMap((t) => {
    const company = new Set(t.company.metrics.map((c) => c.metric));
    return t.metrics.map((m) => ({
      task: t.name,
      metric: m.key,
      kind: m.kind,
      lo: m.range[0],
      hi: m.range[1],
      levels: m.levels === undefined ? null : [...m.levels],
      company: company.has(m.key),
    }));
  });
}

/**
 * Resolves once task_metric holds every metric of the registry's tasks as declared, and no metric
 * those tasks no longer declare (other tasks' rows are left as they are).
 */
export async function registerTasks(sql: Sql, registry: TaskRegistry): Promise<void> {
  const rows = catalogRows(registry);
  await sql`
    delete from task_metric
    where task in (select jsonb_array_elements_text(${sql.json(registry.tasks.map((t) => t.name))}))
      and (task, metric) not in (
        select task, metric from jsonb_to_recordset(${
    sql.json(rows)
  }) as x(task text, metric text))`;
  await sql`
    insert into task_metric as d (task, metric, kind, lo, hi, levels, company)
    select task, metric, kind, lo, hi,
      case when levels is null or levels = 'null' then null
        else array(select jsonb_array_elements_text(levels)::float8) end,
      company
    from jsonb_to_recordset(${sql.json(rows)}) as x(task text, metric text,
      kind text, lo float8, hi float8, levels jsonb, company boolean)
    order by task, metric
    on conflict (task, metric) do update set kind = excluded.kind, lo = excluded.lo,
      hi = excluded.hi, levels = excluded.levels, company = excluded.company
    where (d.kind, d.lo, d.hi, d.levels, d.company)
      is distinct from (excluded.kind, excluded.lo, excluded.hi, excluded.levels, excluded.company)`;
}

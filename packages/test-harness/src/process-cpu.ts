import { readFile } from 'node:fs/promises'

/** CPU time (user and system, ms) a process has used, from /proc (Linux counts it in ticks of 10 ms). */
export async function cpuMilliseconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // The fields after the command name (in parentheses, which may hold spaces); utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

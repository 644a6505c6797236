/** A small fact set, gathered in one command: hostname, OS family and release, default IPv4. */
import type { Connection, Become } from '../connection/types.ts';

const SCRIPT = `
echo "hostname=$(hostname 2>/dev/null || cat /etc/hostname)"
echo "fqdn=$(hostname -f 2>/dev/null || hostname)"
if [ -r /etc/os-release ]; then . /etc/os-release; fi
echo "id=\${ID:-}"; echo "id_like=\${ID_LIKE:-}"; echo "version_id=\${VERSION_ID:-}"; echo "codename=\${VERSION_CODENAME:-}"; echo "pretty=\${PRETTY_NAME:-}"
echo "debian_version=$(cat /etc/debian_version 2>/dev/null)"
echo "arch=$(uname -m)"; echo "kernel=$(uname -r)"; echo "user=$(id -un)"
if [ -d /run/systemd/system ]; then echo "service_mgr=systemd"; else echo "service_mgr=sysvinit"; fi
r=$(ip -4 route show default 2>/dev/null | head -n1)
dev=$(echo "$r" | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p'); gw=$(echo "$r" | sed -n 's/.* via \\([^ ]*\\).*/\\1/p')
[ -n "$dev" ] || dev=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $2; exit}')
addr=$(ip -4 -o addr show dev "$dev" scope global 2>/dev/null | awk '{print $4; exit}')
echo "ipv4_interface=$dev"; echo "ipv4_gateway=$gw"; echo "ipv4_address=\${addr%/*}"
py=$(command -v python3 2>/dev/null || command -v python 2>/dev/null)
[ -n "$py" ] && echo "python=$py $("$py" -c 'import sys; print(*sys.version_info[:5])' 2>/dev/null)"
echo "user_home=$HOME"; echo "user_uid=$(id -u)"; echo "user_gid=$(id -g)"
awk -F': *' '/^processor/{n++} /^physical id/{s[$2]=1} /^cpu cores/{c=$2} /^siblings/{t=$2} END{k=0; for(i in s)k++; print "cpu=" n+0 " " k " " c+0 " " t+0}' /proc/cpuinfo 2>/dev/null
echo "nproc=$(nproc 2>/dev/null)"
for m in apt-get dnf yum zypper apk pacman; do if command -v $m >/dev/null 2>&1; then echo "pkg_mgr=$m"; break; fi; done
echo "envb64=$(env -0 2>/dev/null | base64 -w0)"
awk '/^MemTotal:/{print "memtotal_kb=" $2} /^SwapTotal:/{print "swaptotal_kb=" $2}' /proc/meminfo 2>/dev/null
echo "fips=$(cat /proc/sys/crypto/fips_enabled 2>/dev/null)"
`;

const FAMILY: Record<string, string> = { debian: 'Debian', ubuntu: 'Debian', raspbian: 'Debian', fedora: 'RedHat', centos: 'RedHat', rhel: 'RedHat', rocky: 'RedHat', almalinux: 'RedHat', alpine: 'Alpine', arch: 'Archlinux' };

/** Gathers facts; returns them as Ansible names them (without the `ansible_` prefix, as in `ansible_facts`). */
export async function gatherFacts(conn: Connection, become?: Become): Promise<Record<string, unknown>> {
  const res = await conn.exec(`/bin/sh -c '${SCRIPT.replace(/'/g, "'\\''")}'`, { become });
  const kv: Record<string, string> = {};
  for (const line of res.stdout.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) kv[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const id = kv.id ?? '';
  const distribution = id === 'debian' ? 'Debian' : id === 'ubuntu' ? 'Ubuntu' : id ? id[0].toUpperCase() + id.slice(1) : 'Unknown';
  const version = id === 'debian' && /^\d/.test(kv.debian_version ?? '') ? kv.debian_version : kv.version_id ?? '';
  return {
    hostname: kv.hostname,
    nodename: kv.hostname,
    fqdn: kv.fqdn,
    system: 'Linux',
    kernel: kv.kernel,
    architecture: kv.arch,
    os_family: FAMILY[id] ?? FAMILY[(kv.id_like ?? '').split(' ')[0]] ?? distribution,
    distribution,
    distribution_release: kv.codename ?? '',
    distribution_version: version,
    distribution_major_version: (version || '').split('.')[0],
    service_mgr: kv.service_mgr,
    // Ansible's names: apt-get is 'apt'.
    pkg_mgr: kv.pkg_mgr === 'apt-get' ? 'apt' : kv.pkg_mgr ?? 'unknown',
    user_id: kv.user,
    ...pythonFacts(kv.python),
    user_dir: kv.user_home,
    user_uid: kv.user_uid === undefined ? undefined : Number(kv.user_uid),
    user_gid: kv.user_gid === undefined ? undefined : Number(kv.user_gid),
    default_ipv4: kv.ipv4_address ? { address: kv.ipv4_address, interface: kv.ipv4_interface, gateway: kv.ipv4_gateway || undefined } : {},
    ...cpuFacts(kv.cpu),
    ...(kv.nproc ? { processor_nproc: Number(kv.nproc) } : {}),
    // ansible_env: the environment of the connected user's shell on the host.
    ...(kv.envb64 !== undefined ? { env: parseEnv(kv.envb64) } : {}),
    ...(kv.memtotal_kb ? { memtotal_mb: Math.floor(Number(kv.memtotal_kb) / 1024) } : {}),
    ...(kv.swaptotal_kb ? { swaptotal_mb: Math.floor(Number(kv.swaptotal_kb) / 1024) } : {}),
    // As Ansible's: true only where the kernel says FIPS mode is on.
    fips: kv.fips === '1',
  };
}

/** The output of `env -0 | base64 -w0` on a host, as a mapping. */
export function parseEnv(b64: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of Buffer.from(b64, 'base64').toString('utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) out[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return out;
}

/**
 * The processor facts as Ansible's Linux hardware facts count them from
 * /proc/cpuinfo: sockets (physical ids, else every processor entry), cores
 * per socket, threads per core, and vCPUs = threads x cores x sockets.
 */
function cpuFacts(line: string | undefined): Record<string, number> {
  const [entries, sockets, cores, siblings] = (line ?? '').split(' ').map(Number);
  if (!entries) return {};
  const count = sockets || entries;
  const perSocket = cores || 1;
  const threads = siblings && cores ? Math.max(1, Math.floor(siblings / cores)) : 1;
  return { processor_count: count, processor_cores: perSocket, processor_threads_per_core: threads, processor_vcpus: threads * perSocket * count };
}

/** ansible_python and the interpreter Ansible would have discovered (python3 on the host), when the host has one. */
function pythonFacts(line: string | undefined): Record<string, unknown> {
  const [executable, major, minor, micro, releaselevel, serial] = (line ?? '').split(' ');
  if (!executable || major === undefined) return {};
  const version = { major: Number(major), minor: Number(minor), micro: Number(micro), releaselevel, serial: Number(serial) };
  return {
    python: { executable, type: 'cpython', version, version_info: [version.major, version.minor, version.micro, releaselevel, version.serial] },
    python_version: `${major}.${minor}.${micro}`,
    discovered_interpreter_python: executable,
  };
}

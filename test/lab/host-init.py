# PID 1 of a lab host: starts sshd and reaps every orphan, as an init does.
# SIGTERM ends it, and with it the host's whole PID namespace.
import os, signal, subprocess, sys

signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
subprocess.Popen(['/usr/sbin/sshd', '-D', '-e'], stderr=open('/var/log/sshd.log', 'ab'))
open('/run/lab-ready', 'w').close()
while True:
    try:
        os.wait()
    except ChildProcessError:
        signal.pause()
    except InterruptedError:
        pass

# shellcheck shell=sh
# Start the real atd (Debian's `at` package): window reboots scheduled with at(1) show in atq.
mkdir -p /var/spool/cron/atjobs /var/spool/cron/atspool
/usr/sbin/atd
printf 'atd started\n'

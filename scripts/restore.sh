#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY PostgreSQL database and MEDIA_ROOT.
#
#   createdb -h host -U user loopwise_restored
#   DATABASE_URL=postgres://user:pass@host:5432/loopwise_restored MEDIA_ROOT=/srv/loopwise/media \
#     scripts/restore.sh backups/20261130T020000Z
#
# Checks the SHA-256 sums first, refuses a database that already has tables (restore into a
# fresh one, then point DATABASE_URL at it), and restores in one transaction: all or nothing.
# Afterwards run `manage.py migrate` (a no-op for a backup of this version; it upgrades an
# older one) and start web, worker and beat.
set -euo pipefail

folder=${1:?usage: restore.sh BACKUP_FOLDER}
: "${DATABASE_URL:?set DATABASE_URL to the empty PostgreSQL database to restore into}"
media=${MEDIA_ROOT:-var/media}

(cd "$folder" && sha256sum --check --quiet SHA256SUMS)
tables=$(psql "$DATABASE_URL" -tAc \
  "select count(*) from information_schema.tables where table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "restore.sh: the database already has $tables tables; restore into an empty one" >&2
  exit 1
fi
pg_restore --no-owner --no-privileges --exit-on-error --single-transaction \
  --dbname="$DATABASE_URL" "$folder/database.dump"
mkdir -p "$media"
tar -C "$media" -xzf "$folder/media.tar.gz"
echo "restored $folder"

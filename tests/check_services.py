"""Fail loudly (not skip) when the servers the suite needs are missing: `python -m tests.check_services`."""
import os
import sys

import psycopg
import redis


def main() -> int:
    problems = []
    db_url = os.environ["DATABASE_URL"]
    try:
        # The suite creates its own test database; this only proves the server answers.
        with psycopg.connect(db_url.rsplit("/", 1)[0] + "/postgres", connect_timeout=5) as conn:
            conn.execute("select 1")
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL at {db_url.split('@')[-1]} does not answer: {exc}")
    redis_url = os.environ["REDIS_URL"]
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        problems.append(f"Redis at {redis_url} does not answer: {exc}")
    for problem in problems:
        print(f"check_services: {problem}", file=sys.stderr)
    if problems:
        print("check_services: start the servers or set DATABASE_URL / REDIS_URL (see README)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

from sqlalchemy import create_engine, inspect

from simexit.store.migrate import downgrade, upgrade
from simexit.store.schema import metadata


def test_migrations_match_the_tables_and_go_down_and_up(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url)
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set(metadata.tables)
    downgrade(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set(metadata.tables)
    engine.dispose()


def test_a_step_that_failed_before_the_error_code_column_gets_its_code(tmp_path):
    from datetime import UTC, datetime

    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'c.db'}"
    upgrade(url, "0010")
    engine = create_engine(url)
    now = datetime(2026, 12, 1, tzinfo=UTC).isoformat()
    errors = {1: "smdp: ESIM_STATE_UNCERTAIN: attempt 2: PROFILE_CANNOT_BE_RELEASED (...)", 2: "pyhss: HTTP_503: down",
              3: None, 4: "no code here"}
    with engine.begin() as conn:
        for i, error in errors.items():
            conn.execute(text("INSERT INTO saga_steps (id, application_id, step, seq, state, idempotency_key, "
                              "attempts, due_at, created_at, last_error) VALUES (:i, :i, 'esim_release', 3, "
                              "'failed', :k, 5, :now, :now, :e)"), {"i": i, "k": f"k{i}", "now": now, "e": error})
    upgrade(url)
    with engine.connect() as conn:
        codes = dict(conn.execute(text("SELECT id, last_error_code FROM saga_steps")).all())
    assert codes == {1: "ESIM_STATE_UNCERTAIN", 2: "HTTP_503", 3: None, 4: None}
    downgrade(url, "0010")
    assert "last_error_code" not in {c["name"] for c in inspect(engine).get_columns("saga_steps")}
    engine.dispose()

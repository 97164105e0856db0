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

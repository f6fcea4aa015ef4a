"The README documents what the code does."
from atnn.config import config_reference_md
from conftest import REPO


def test_readme_config_reference_is_current():
    assert config_reference_md() in (REPO/'README.md').read_text(), \
        "README's configuration table is stale: paste atnn.config.config_reference_md() into it"

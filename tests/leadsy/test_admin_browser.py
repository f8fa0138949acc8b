"""The back office in a real browser: headless Chromium driven by Selenium against a live server.

Page helpers (`AdminSite`, `ChangeList`) hold the clicks and selectors; a test reads as the steps a staff
user takes. Skipped, with the reason, when Chromium or its driver is not installed
(`apt-get install chromium chromium-driver`; `.ci/run` installs them).
"""

import shutil

import pytest
from django.contrib.auth import get_user_model
from django.contrib.staticfiles.testing import StaticLiveServerTestCase

try:
    from selenium import webdriver
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:  # pragma: no cover - selenium is in requirements-dev.txt
    webdriver = None

CHROMIUM = next((path for name in ("chromium", "chromium-browser") if (path := shutil.which(name))), None)
CHROMEDRIVER = shutil.which("chromedriver")
NO_BROWSER = (
    "selenium is not installed"
    if webdriver is None
    else "no Chromium or chromedriver on PATH (apt-get install chromium chromium-driver)"
    if not (CHROMIUM and CHROMEDRIVER)
    else ""
)
WAIT = 15  # seconds: a page of the admin loads in well under a second on loopback

pytestmark = pytest.mark.skipif(bool(NO_BROWSER), reason=NO_BROWSER or "browser available")


def text(element) -> str:
    """What the page says, not how CSS shows it (the admin upper-cases captions and headers)."""
    return " ".join(element.get_attribute("textContent").split())


def headless_chromium():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    # An explicit driver path: Selenium Manager must not try to download one.
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)


class ChangeList:
    """One model's list page in the admin."""

    def __init__(self, site: "AdminSite"):
        self.site = site
        self.driver = site.driver
        self.site.wait_for(By.ID, "changelist")

    @property
    def title(self) -> str:
        return text(self.driver.find_element(By.CSS_SELECTOR, "#content h1"))

    def column_headers(self) -> list[str]:
        headers = self.driver.find_elements(By.CSS_SELECTOR, "#result_list thead th:not(.action-checkbox-column)")
        return [text(th) for th in headers]

    def rows(self) -> list[list[str]]:
        """Cell texts of each row, first column (the link) included, the checkbox left out."""
        rows = []
        for row in self.driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"):
            cells = row.find_elements(By.CSS_SELECTOR, "th, td:not(.action-checkbox)")
            rows.append([text(cell) for cell in cells])
        return rows

    def column(self, header: str) -> list[str]:
        if not self.driver.find_elements(By.ID, "result_list"):
            return []  # "0 users": the admin shows no table at all
        index = self.column_headers().index(header)
        return [row[index] for row in self.rows()]

    def search(self, text: str) -> "ChangeList":
        box = self.driver.find_element(By.ID, "searchbar")
        box.clear()
        box.send_keys(text)
        self.site.navigating(box.submit)
        return ChangeList(self.site)

    def filter_by(self, filter_title: str, choice: str) -> "ChangeList":
        """Click `choice` under the sidebar filter titled `filter_title` (as shown, e.g. "By status")."""
        self.site.open_filters()
        for details in self.driver.find_elements(By.CSS_SELECTOR, "#changelist-filter details"):
            if text(details.find_element(By.TAG_NAME, "summary")).lower() == filter_title.lower():
                self.site.navigating(details.find_element(By.LINK_TEXT, choice).click)
                return ChangeList(self.site)
        raise AssertionError(f"no filter {filter_title!r} on {self.driver.current_url}")

    def search_filter(self, filter_title: str, query: str) -> "ChangeList":
        """Type `query` into the search box of the sidebar filter titled `filter_title` and submit it."""
        self.site.open_filters()
        for details in self.driver.find_elements(By.CSS_SELECTOR, "#changelist-filter details"):
            if text(details.find_element(By.TAG_NAME, "summary")).lower() == filter_title.lower():
                box = details.find_element(By.CSS_SELECTOR, "input[type=search]")
                box.clear()
                box.send_keys(query)
                self.site.navigating(box.submit)
                return ChangeList(self.site)
        raise AssertionError(f"no filter {filter_title!r} on {self.driver.current_url}")

    def select_rows(self, *first_cells: str) -> None:
        """Tick the rows whose first column reads one of `first_cells`."""
        wanted = set(first_cells)
        for row in self.driver.find_elements(By.CSS_SELECTOR, "#result_list tbody tr"):
            if text(row.find_element(By.CSS_SELECTOR, "th, td:not(.action-checkbox)")) in wanted:
                row.find_element(By.CSS_SELECTOR, "input.action-select").click()

    def run_action(self, label: str, *first_cells: str, confirm: bool = False) -> "ChangeList":
        """Select rows, pick the action by its label in the dropdown and run it; with `confirm`, also
        answer "Yes" on the confirmation page that actions such as delete show. Returns the list page."""
        self.select_rows(*first_cells)
        select = self.driver.find_element(By.NAME, "action")
        select.find_element(By.XPATH, f".//option[normalize-space()='{label}']").click()
        self.site.navigating(self.driver.find_element(By.CSS_SELECTOR, "button[name=index]").click)
        if confirm:
            button = self.site.wait_for(By.CSS_SELECTOR, "#content form [type=submit]")
            self.site.navigating(button.click)
        return ChangeList(self.site)

    def messages(self) -> list[str]:
        return [text(li) for li in self.driver.find_elements(By.CSS_SELECTOR, "ul.messagelist li")]


class AdminSite:
    """The admin as a staff user sees it."""

    def __init__(self, driver, base_url: str):
        self.driver = driver
        self.base_url = base_url

    def wait_for(self, by, value):
        return WebDriverWait(self.driver, WAIT).until(EC.presence_of_element_located((by, value)))

    def navigating(self, action) -> None:
        """Run a click or submit that loads a new page, and wait until the old page is gone."""
        old_page = self.driver.find_element(By.TAG_NAME, "html")
        action()
        WebDriverWait(self.driver, WAIT).until(EC.staleness_of(old_page))

    def open(self, path: str = "/admin/") -> None:
        self.driver.get(f"{self.base_url}{path}")

    def log_in(self, email: str, password: str) -> None:
        self.open("/admin/login/?next=/admin/")
        self.wait_for(By.ID, "id_username").send_keys(email)
        self.driver.find_element(By.ID, "id_password").send_keys(password)
        self.navigating(self.driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click)
        self.wait_for(By.ID, "site-name")

    def login_errors(self) -> list[str]:
        return [text(element) for element in self.driver.find_elements(By.CSS_SELECTOR, ".errornote")]

    def index_models(self) -> dict[str, list[str]]:
        """App name → model names listed on the admin index."""
        self.wait_for(By.ID, "content-main")
        apps = {}
        for table in self.driver.find_elements(By.CSS_SELECTOR, "#content-main .module table"):
            caption = text(table.find_element(By.TAG_NAME, "caption"))
            apps[caption] = [text(th) for th in table.find_elements(By.CSS_SELECTOR, "tbody th")]
        return apps

    def open_changelist(self, app_label: str, model_name: str) -> ChangeList:
        self.open(f"/admin/{app_label}/{model_name}/")
        return ChangeList(self)

    def open_filters(self) -> None:
        # Narrow windows fold the filter sidebar away; ours is wide, so this only waits for it.
        self.wait_for(By.ID, "changelist-filter")


class AdminBrowserTest(StaticLiveServerTestCase):
    password = "staff-password-for-the-browser"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.driver = headless_chromium()
        cls.driver.implicitly_wait(0)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        super().tearDownClass()

    def setUp(self):
        User = get_user_model()
        self.staff = User.objects.create_superuser(email="staff@example.com", password=self.password)
        User.objects.create_user(email="pending@example.com")
        User.objects.create_user(email="active@example.com", password="an-active-users-password")
        self.driver.delete_all_cookies()
        self.admin = AdminSite(self.driver, self.live_server_url)

    def test_staff_user_logs_in_and_browses_users(self):
        self.admin.log_in("staff@example.com", self.password)

        models = self.admin.index_models()
        assert "Users" in models.get("Accounts", []), models

        users = self.admin.open_changelist("accounts", "user")
        assert {"Email", "Status"} <= set(users.column_headers()), users.column_headers()
        assert set(users.column("Email")) >= {"staff@example.com", "pending@example.com"}

        pending = users.filter_by("By status", "Pending (no password yet)")
        assert pending.column("Email") == ["pending@example.com"]

        # The search box keeps the active filters: search from the unfiltered list.
        found = self.admin.open_changelist("accounts", "user").search("active@")
        assert found.column("Email") == ["active@example.com"]

    def test_a_wrong_password_stays_on_the_login_page(self):
        self.admin.open("/admin/login/?next=/admin/")
        self.admin.wait_for(By.ID, "id_username").send_keys("staff@example.com")
        self.driver.find_element(By.ID, "id_password").send_keys("not-the-password")
        self.driver.find_element(By.CSS_SELECTOR, "#login-form [type=submit]").click()

        self.admin.wait_for(By.CSS_SELECTOR, ".errornote")
        assert "/admin/login/" in self.driver.current_url
        assert self.admin.login_errors()

    def test_an_admin_action_runs_on_the_selected_rows(self):
        self.admin.log_in("staff@example.com", self.password)
        users = self.admin.open_changelist("accounts", "user")

        after = users.run_action("Delete selected users", "pending@example.com", confirm=True)

        assert any("Successfully deleted 1" in message for message in after.messages()), after.messages()
        assert "pending@example.com" not in after.column("Email")
        assert "active@example.com" in after.column("Email")


@pytest.fixture
def _import_worker(request, celery_worker):
    """The session's real Celery worker, on the live server's (committed) test database."""
    request.cls.worker = celery_worker


@pytest.mark.usefixtures("_import_worker")
class ImportsBrowserTest(StaticLiveServerTestCase):
    """A staff user looks after imports: sees their progress, retries a failed one, finds its leads."""

    password = "staff-password-for-the-browser"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.driver = headless_chromium()
        cls.driver.implicitly_wait(0)

    @classmethod
    def tearDownClass(cls):
        cls.driver.quit()
        super().tearDownClass()

    def setUp(self):
        import tempfile
        from pathlib import Path

        from bench.leadgen import write_csv
        from billing.services import membership_attach
        from imports.models import ImportFile
        from imports.services import import_file_create
        from tests.factories import LeadFactory, UserAccessFactory, access, membership

        get_user_model().objects.create_superuser(email="staff@example.com", password=self.password)
        owner_access = UserAccessFactory(access=access("owner"), primary=True)
        membership_attach(company=owner_access.company, membership=membership("Business"))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "leads.csv"
            self.expected = write_csv(path, 40)
            self.import_file = import_file_create(
                user=owner_access.user, company=owner_access.company, file=str(path), name=path.name,
                options={}, enqueue=False,
            )  # fmt: skip
        # As a run that gave up leaves it: failed, with a message, nothing imported.
        ImportFile.objects.filter(pk=self.import_file.pk).update(
            status=ImportFile.Status.FAILED, error_message="The import stopped making progress after 5 attempts."
        )
        self.other_lead = LeadFactory(company=owner_access.company, email="typed-by-hand@example.com")
        self.driver.delete_all_cookies()
        self.admin = AdminSite(self.driver, self.live_server_url)

    def import_row(self, imports: ChangeList) -> dict[str, str]:
        headers = [header.lower() for header in imports.column_headers()]
        for row in imports.rows():
            if row[0] == self.import_file.import_code:
                return dict(zip(headers, row, strict=True))
        raise AssertionError(f"{self.import_file.import_code} not listed: {imports.rows()}")

    def test_staff_user_retries_a_failed_import_and_filters_its_leads(self):
        from imports.models import ImportFile
        from tests.conftest import wait_for

        self.admin.log_in("staff@example.com", self.password)
        imports = self.admin.open_changelist("imports", "importfile")
        row = self.import_row(imports)
        assert "progress" in row, imports.column_headers()
        assert (row["status"], row["progress"]) == ("failed", "0% 0%"), row

        after = imports.run_action("Retry selected imports (failed or cancelled)", self.import_file.import_code)
        assert "1 import(s) queued again." in after.messages(), after.messages()

        # The worker picks it up from the broker: poll the database, then look at the page again.
        done = wait_for(lambda: ImportFile.objects.filter(pk=self.import_file.pk, status__gte=2).first(), timeout=60)
        assert done.status == ImportFile.Status.COMPLETED, done.error_message
        row = self.import_row(self.admin.open_changelist("imports", "importfile"))
        assert (row["status"], row["progress"]) == ("completed", "100% 100%"), row
        assert done.processed_records == 40

        # A search box, not a list of every import: the filter finds the import by its code.
        leads = self.admin.open_changelist("campaigns", "lead").search_filter("By import file", done.import_code)
        emails = leads.column("Email")
        assert len(emails) == self.expected.imported
        assert self.other_lead.email not in emails

    def test_the_lists_staff_use_most_fit_a_1366_px_screen(self):
        """A laptop's screen, with names as long as real ones: imports, leads and users scroll down only."""
        from imports.models import ImportFile

        ImportFile.objects.filter(pk=self.import_file.pk).update(
            original_name="hubspot-crm-exports-all-contacts-2026-11-28-with-every-property-and-list-membership.csv"
        )
        company = self.import_file.company
        company.name = "Distribuciones Comerciales e Industriales del Mediterráneo Occidental, S.L."
        company.save(update_fields=["name"])
        user = self.import_file.imported_by
        user.email = "maria.jose.fernandez-de-la-cruz.comercial@distribuciones-mediterraneo.example.com"
        user.save(update_fields=["email"])
        self.driver.set_window_size(1366, 768)
        overflowing = {}
        try:
            self.admin.log_in("staff@example.com", self.password)
            for app_label, model_name in (("imports", "importfile"), ("campaigns", "lead"), ("accounts", "user")):
                self.admin.open_changelist(app_label, model_name)
                # The admin scrolls a wide table inside its own box (`.results`), not the page: measure both.
                page, window, table, box = self.driver.execute_script(
                    "const page = document.documentElement, table = document.querySelector('#changelist .results');"
                    "return [page.scrollWidth, page.clientWidth, table.scrollWidth, table.clientWidth];"
                )
                if page > window or table > box:
                    overflowing[model_name] = f"page {page} px in a {window} px window, table {table} px in {box} px"
        finally:
            self.driver.set_window_size(1400, 1000)
        assert overflowing == {}

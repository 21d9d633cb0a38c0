"""Unmanaged models of the warehouse tables enrichhub reads and repairs but does not own.

Table names are schema-qualified (`'core"."companies'`); no migration ever touches them.
Foreign keys are declared with db_constraint=False: the constraints, where they exist,
belong to the warehouse DDL, not to Django.
"""

from django.db import models


class CompanyColumns(models.Model):
    """The columns of core.companies but its keys, once: the warehouse table and its archive
    (cleanup.jobs.models) both have them."""

    company_name = models.TextField(null=True)
    cleaned_name = models.TextField(null=True)
    company_country = models.TextField(null=True)
    discovery_location = models.TextField(null=True)
    salesnav_location = models.TextField(null=True)
    industry = models.TextField(null=True)
    employee_count = models.IntegerField(null=True)
    linkedin_url = models.TextField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        abstract = True


class Company(CompanyColumns):
    id = models.BigIntegerField(primary_key=True)
    domain = models.TextField(unique=True)

    class Meta:
        managed = False
        db_table = 'core"."companies'
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.domain

    @property
    def has_location(self) -> bool:
        return self.discovery_location is not None or self.salesnav_location is not None


class CompanyMissingLocationColumns(models.Model):
    """The columns of core.companies_missing_location but its key, for it and its archive."""

    domain = models.TextField()
    company_name = models.TextField(null=True)
    discovery_location = models.TextField(null=True)
    salesnav_location = models.TextField(null=True)
    flagged_at = models.DateTimeField()

    class Meta:
        abstract = True


class CompanyMissingLocation(CompanyMissingLocationColumns):
    id = models.BigIntegerField(primary_key=True)

    class Meta:
        managed = False
        db_table = 'core"."companies_missing_location'
        verbose_name_plural = "companies missing location"


class CompanyFunding(models.Model):
    domain = models.TextField(primary_key=True)
    raw_funding_range = models.TextField(null=True)
    funding_min_usd = models.BigIntegerField(null=True)
    funding_max_usd = models.BigIntegerField(null=True)
    source = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'core"."company_funding'
        verbose_name_plural = "company funding"


class Person(models.Model):
    id = models.BigIntegerField(primary_key=True)
    linkedin_url = models.TextField(unique=True)
    full_name = models.TextField(null=True)
    first_name = models.TextField(null=True)
    last_name = models.TextField(null=True)
    job_title = models.TextField(null=True)
    company_domain = models.TextField(null=True)
    person_country = models.TextField(null=True)
    matched_job_function = models.TextField(null=True)
    matched_seniority = models.TextField(null=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'core"."people'
        verbose_name_plural = "people"

    def __str__(self) -> str:
        return self.linkedin_url


class PersonLocation(models.Model):
    person = models.ForeignKey(Person, on_delete=models.DO_NOTHING, db_constraint=False)
    linkedin_url = models.TextField()
    city = models.TextField(null=True)
    region = models.TextField(null=True)
    country = models.TextField(null=True)
    source = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'core"."person_locations'


class PersonJobTitle(models.Model):
    person = models.ForeignKey(Person, on_delete=models.DO_NOTHING, db_constraint=False)
    linkedin_url = models.TextField()
    raw_title = models.TextField()
    matched_job_function = models.TextField(null=True)
    matched_seniority = models.TextField(null=True)
    source = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'core"."person_job_titles'


class PersonWorkHistory(models.Model):
    person = models.ForeignKey(Person, on_delete=models.DO_NOTHING, db_constraint=False, null=True)
    linkedin_url = models.TextField()
    company = models.ForeignKey(Company, on_delete=models.DO_NOTHING, db_constraint=False, null=True)
    company_domain = models.TextField(null=True)
    company_name = models.TextField(null=True)
    title = models.TextField(null=True)
    matched_job_function = models.TextField(null=True)
    matched_seniority = models.TextField(null=True)
    start_date = models.DateField(null=True)
    end_date = models.DateField(null=True)
    is_current = models.BooleanField()
    source = models.TextField()
    source_record_id = models.BigIntegerField(null=True, unique=True)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'core"."person_work_history'
        verbose_name_plural = "person work history"


class PersonTenure(models.Model):
    person = models.OneToOneField(Person, on_delete=models.DO_NOTHING, db_constraint=False, primary_key=True)
    linkedin_url = models.TextField()
    job_start_date = models.DateField()
    source = models.TextField()
    updated_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'core"."person_tenure'
        verbose_name_plural = "person tenure"


class PersonJobStartDate(models.Model):
    person = models.ForeignKey(Person, on_delete=models.DO_NOTHING, db_constraint=False)
    linkedin_url = models.TextField()
    job_start_date = models.DateField()
    source = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'core"."person_job_start_dates'


class CompanyDiscovery(models.Model):
    domain = models.TextField()
    company_name = models.TextField(null=True)
    discovery_location = models.TextField(null=True)
    industry = models.TextField(null=True)
    employee_range = models.TextField(null=True)
    total_funding_amount_range_usd = models.TextField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'extracted"."company_discovery'
        verbose_name_plural = "company discovery (extracted)"


class PersonProfile(models.Model):
    linkedin_url = models.TextField()
    full_name = models.TextField(null=True)
    headline = models.TextField(null=True)
    job_title = models.TextField(null=True)
    company_domain = models.TextField(null=True)
    location_city = models.TextField(null=True)
    location_country = models.TextField(null=True)
    job_start_date = models.DateField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'extracted"."person_profile'
        verbose_name_plural = "person profiles (extracted)"


class PersonExperience(models.Model):
    linkedin_url = models.TextField()
    company_name = models.TextField(null=True)
    company_domain = models.TextField(null=True)
    title = models.TextField(null=True)
    start_date = models.DateField(null=True)
    end_date = models.DateField(null=True)
    is_current = models.BooleanField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'extracted"."person_experience'
        verbose_name_plural = "person experience (extracted)"


class CompanyMissingCleanedName(models.Model):
    id = models.BigIntegerField(primary_key=True)
    domain = models.TextField()
    company_name = models.TextField(null=True)
    flagged_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'reference"."companies_missing_cleaned_name'
        verbose_name_plural = "companies missing cleaned name"


class PersonMissingCountry(models.Model):
    id = models.BigIntegerField(primary_key=True)
    linkedin_url = models.TextField()
    flagged_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = 'reference"."people_missing_country'
        verbose_name_plural = "people missing country"


class JobTitleMapping(models.Model):
    raw_title = models.TextField(primary_key=True)
    matched_job_function = models.TextField()
    matched_seniority = models.TextField()

    class Meta:
        managed = False
        db_table = 'reference"."job_title_mapping'

    def __str__(self) -> str:
        return self.raw_title

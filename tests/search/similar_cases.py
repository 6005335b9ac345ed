"""A labelled set for similar incidents: 44 pairs of a new incident and the earlier incident
that truly matches it, among the other pairs' earlier incidents and DISTRACTORS (incidents that
share words with them but not their cause). Written for this test; every company, host and
person in it is made up.

Each `past` is a resolved incident with its postmortem (`cause` and taxonomy `terms`), an
optional pinned `note` and the `labels` of the alert group that fired; each `new` is what the
responder knows when declaring (title, summary, severity, components) plus, when the alert
declared it, the alert's labels. tests/search/test_similar_recall.py and bench/similar.py load
it with `load_history` and ask for each `new` the three most similar incidents.
"""

import os
import zlib
from datetime import timedelta

import pytest
from django.utils import timezone


def past(
    title,
    summary,
    *,
    severity="major",
    components=(),
    cause="",
    terms="",
    labels=None,
    impact="",
    note="",
):
    return {
        "title": title,
        "summary": summary,
        "severity": severity,
        "components": list(components),
        "cause": cause,
        "terms": terms,
        "labels": labels or {},
        "impact": impact,
        "note": note,
    }


def new(title, summary="", *, severity="major", components=(), labels=None):
    return {
        "title": title,
        "summary": summary,
        "severity": severity,
        "components": list(components),
        "labels": labels or {},
    }


CASES = [
    # Databases ---------------------------------------------------------------------------
    (
        past(
            "Primary database ran out of connections after pool size change",
            "Orders API answered 500 for 25 minutes: every connection of the primary Postgres "
            "was taken by the order workers after their pool size was raised from 10 to 50.",
            severity="critical",
            components=["Orders API"],
            cause="The workers' pool size was raised without checking max_connections on the "
            "primary; 12 workers x 50 connections exceeded it.",
            terms="INFRASTRUCTURE_ERROR < LACK_OF_TRACEABILITY",
            labels={"alertname": "PostgresTooManyConnections", "service": "orders-db"},
        ),
        new(
            "Orders API failing: FATAL sorry, too many clients already",
            "Postgres refuses new clients, order placement errors everywhere.",
            severity="critical",
            components=["Orders API"],
            labels={"alertname": "PostgresTooManyConnections", "service": "orders-db"},
        ),
    ),
    (
        past(
            "Reporting replica fell 3 hours behind the primary",
            "Finance dashboards showed stale revenue figures all morning because replication "
            "to the reporting replica stalled on a long-running analytics query.",
            severity="trivial",
            components=["Reporting"],
            cause="A long analytical query held back WAL replay (hot_standby_feedback); "
            "nothing alerted on replication lag.",
            terms="MISSING_ALERT",
            labels={"alertname": "PostgresReplicationLag"},
        ),
        new(
            "Revenue report shows yesterday's numbers",
            "Replica seems to be lagging the primary by about 40 minutes.",
            severity="trivial",
            components=["Reporting"],
        ),
    ),
    (
        past(
            "Schema migration locked the users table during the deploy",
            "Sign-up and profile updates hung for 9 minutes while a migration added a column "
            "with a default, rewriting the whole users table under an exclusive lock.",
            severity="major",
            components=["Accounts"],
            cause="ALTER TABLE with a volatile default rewrote the table; the migration was not "
            "reviewed for locking.",
            terms="FAILED_MIGRATION",
        ),
        new(
            "Signups hanging while migration runs",
            "ALTER TABLE on accounts holding a lock, requests piling up.",
            severity="major",
            components=["Accounts"],
        ),
    ),
    (
        past(
            "Billing database volume full, writes stopped",
            "Invoices could not be created for 40 minutes: the billing database disk filled "
            "up with WAL after the archive command started failing.",
            severity="critical",
            components=["Billing"],
            cause="archive_command failed on a rotated credential, WAL accumulated until the "
            "disk was full.",
            terms="INFRASTRUCTURE_ERROR",
            labels={"alertname": "NodeFilesystemAlmostFull", "mountpoint": "/var/lib/postgresql"},
        ),
        new(
            "Billing writes failing with no space left on device",
            "The db volume is at 100%.",
            severity="critical",
            components=["Billing"],
            labels={"alertname": "NodeFilesystemAlmostFull", "mountpoint": "/var/lib/postgresql"},
        ),
    ),
    # Certificates and names ----------------------------------------------------------------
    (
        past(
            "TLS certificate for the public API expired",
            "Mobile apps and partner integrations could not connect for 2 hours: the "
            "certificate of api.shopfront.example expired on Sunday morning.",
            severity="critical",
            components=["Public API"],
            cause="The certificate was bought by hand three years ago; renewal relied on one "
            "person's calendar and nothing monitored the expiry date.",
            terms="MISSING_ALERT < LACK_OF_TRACEABILITY",
        ),
        new(
            "Mobile app cannot connect: certificate has expired",
            "iOS and Android clients show an SSL error when calling the API endpoint.",
            severity="critical",
            components=["Public API"],
        ),
    ),
    (
        past(
            "Service-to-service calls failed after mTLS certificate rotation",
            "Payments could not reach the ledger for 35 minutes because the rotation job "
            "replaced the internal CA before the ledger trusted the new one.",
            severity="major",
            components=["Payments"],
            cause="The rotation job swapped the CA and the leaf certificates in one step.",
            terms="ROTATION_FAILURE",
        ),
        new(
            "Payments to ledger calls failing with handshake errors",
            "Started right after the nightly cert rotation job.",
            severity="major",
            components=["Payments"],
        ),
    ),
    (
        past(
            "Website down: DNS record removed by an infrastructure apply",
            "www and static asset hostnames stopped resolving for 50 minutes after a "
            "Terraform apply removed records it considered unmanaged.",
            severity="critical",
            components=["Website"],
            cause="Records created by hand were not in state; the plan showed their deletion "
            "but the reviewer did not expect it.",
            terms="INCOMPLETE_PERSPECTIVE",
        ),
        new(
            "Website not resolving, NXDOMAIN for the static host",
            "Happened after an infra change this afternoon.",
            severity="critical",
            components=["Website"],
        ),
    ),
    (
        past(
            "Internal name lookups slow inside the cluster",
            "Requests between services took 5 extra seconds at random: DNS queries inside the "
            "Kubernetes cluster timed out when the conntrack table filled up.",
            severity="major",
            components=["Platform"],
            cause="UDP DNS packets raced in conntrack; the table size was the default.",
            terms="INFRASTRUCTURE_ERROR",
            labels={"alertname": "CoreDNSLatencyHigh", "namespace": "kube-system"},
        ),
        new(
            "Random 5 second delays between services",
            "coredns latency alert firing.",
            severity="major",
            labels={"alertname": "CoreDNSLatencyHigh", "namespace": "kube-system"},
        ),
    ),
    # Payments and checkout -------------------------------------------------------------------
    (
        past(
            "Card payments declined during payment provider outage",
            "For 70 minutes most card payments failed at checkout because the card acquirer "
            "answered 503 to authorisation requests.",
            severity="critical",
            components=["Payments", "Checkout"],
            cause="Our only acquirer had an outage; there is no second provider to fail over to.",
            terms="THIRD_PARTY_ERROR",
            labels={"alertname": "PaymentAuthorisationErrors", "provider": "acquirer"},
        ),
        new(
            "Checkout failing for card payments",
            "Card authorisation returns 503 from the acquirer.",
            severity="critical",
            components=["Checkout"],
        ),
    ),
    (
        past(
            "Orders stuck in pending after the provider changed webhook signatures",
            "Paid orders stayed pending for 4 hours: the payment provider started signing "
            "webhooks with a new scheme and our verification rejected every one.",
            severity="major",
            components=["Payments"],
            cause="The provider's changelog announced the new signature header; nobody reads it.",
            terms="THIRD_PARTY_CHANGE < COMMUNICATION_FAILURE",
        ),
        new(
            "Orders not moving from pending to paid",
            "Webhook signature verification failing in the logs.",
            severity="major",
            components=["Payments"],
        ),
    ),
    (
        past(
            "Customers charged twice after payment retries",
            "About 300 customers were charged twice when requests to the acquirer timed out "
            "and our client retried them without an idempotency key.",
            severity="major",
            components=["Payments"],
            cause="Retries without an idempotency key; the timeout path was never tested.",
            terms="UNHANDLED_EXCEPTION < MISSING_TEST",
        ),
        new(
            "Duplicate charges on one order",
            "Support has tickets from customers who paid twice.",
            severity="major",
        ),
    ),
    (
        past(
            "Checkout page blank in Safari after a frontend release",
            "Safari users saw an empty checkout for 3 hours: the new bundle used a JavaScript "
            "feature Safari 15 lacks.",
            severity="major",
            components=["Checkout"],
            cause="The build targets were changed and no test ran on WebKit.",
            terms="MISSING_TEST",
        ),
        new(
            "Checkout button does nothing on iPhone",
            "Since this morning's deploy, iOS Safari users cannot pay.",
            severity="major",
            components=["Checkout"],
        ),
    ),
    (
        past(
            "Coupon codes rejected for euro baskets",
            "Every discount code was refused as invalid for baskets in EUR after a change to "
            "currency rounding.",
            severity="trivial",
            components=["Checkout"],
            cause="Rounding moved to half-even and the minimum basket check compared cents "
            "with euros.",
            terms="MISSING_TEST",
        ),
        new(
            "Discount codes say invalid",
            "Only for customers paying in euros.",
            severity="trivial",
            components=["Checkout"],
        ),
    ),
    # Queues, workers, messages -------------------------------------------------------------
    (
        past(
            "Email notifications delayed by three hours",
            "Order confirmations and password resets were sent hours late: the email worker "
            "queue backed up behind a newsletter batch.",
            severity="major",
            components=["Notifications"],
            cause="Transactional mail and bulk newsletters share one queue with no priority.",
            terms="INFRASTRUCTURE_ERROR",
            labels={"alertname": "QueueBacklogHigh", "queue": "email"},
        ),
        new(
            "Password reset emails arriving hours late",
            "Customers complain on social media.",
            severity="major",
            components=["Notifications"],
        ),
    ),
    (
        past(
            "SMS provider rate-limited us during a marketing campaign",
            "Two-factor codes by SMS were not delivered for an hour while marketing sent a "
            "campaign through the same SMS account and hit its rate limit.",
            severity="major",
            components=["Notifications", "Login"],
            cause="Marketing's campaign was not announced to engineering; both share one "
            "sender account.",
            terms="COMMUNICATION_FAILURE",
        ),
        new(
            "2FA codes not arriving",
            "The SMS provider answers 429 too many requests.",
            severity="major",
            components=["Login"],
        ),
    ),
    (
        past(
            "Event consumers stuck after a broker restart",
            "Order events were not processed for 2 hours: the consumer group did not rejoin "
            "after a Kafka broker restart and lag grew to 2 million messages.",
            severity="major",
            components=["Events pipeline"],
            cause="A consumer library bug left the group without a coordinator.",
            terms="THIRD_PARTY_ERROR",
            labels={"alertname": "KafkaConsumerLagHigh", "topic": "order-events"},
        ),
        new(
            "Order events piling up, consumer lag growing",
            severity="major",
            labels={"alertname": "KafkaConsumerLagHigh", "topic": "order-events"},
        ),
    ),
    (
        past(
            "Partner catalogue import sent everything to the dead letter queue",
            "A partner's product feed was rejected line by line for a day because it arrived "
            "in Latin-1 instead of UTF-8.",
            severity="trivial",
            components=["Imports"],
            cause="The importer assumed UTF-8 and the partner changed their export tool.",
            terms="DATA_QUALITY < THIRD_PARTY_CHANGE",
        ),
        new(
            "Catalogue feed from partner rejected",
            "Messages go to the DLQ with decode errors; looks like a bad CSV encoding.",
            severity="trivial",
            components=["Imports"],
        ),
    ),
    # Kubernetes and infrastructure ---------------------------------------------------------
    (
        past(
            "Search pods killed out of memory after heap setting change",
            "Search was unavailable for 20 minutes: its pods were OOMKilled in a loop after "
            "the JVM heap was set larger than the container memory limit.",
            severity="critical",
            components=["Search"],
            cause="The heap size and the container limit are set in two repositories.",
            terms="INCOMPLETE_PERSPECTIVE",
            labels={"alertname": "KubePodCrashLooping", "namespace": "search"},
        ),
        new(
            "Search crash looping",
            "Containers restarting again and again.",
            severity="critical",
            components=["Search"],
            labels={"alertname": "KubePodCrashLooping", "namespace": "search"},
        ),
    ),
    (
        past(
            "Cluster could not add nodes: cloud quota reached",
            "During the sale, new pods stayed pending for 45 minutes because the node group "
            "could not grow past the project's CPU quota.",
            severity="major",
            components=["Platform"],
            cause="The quota was set years ago and never reviewed against peak capacity.",
            terms="INFRASTRUCTURE_ERROR < MISSING_ALERT",
        ),
        new(
            "Pods pending, cannot be scheduled",
            "Autoscaler logs say quota exceeded, node group stuck.",
            severity="major",
            components=["Platform"],
        ),
    ),
    (
        past(
            "Load balancer marked every API target unhealthy",
            "The public API was down for 15 minutes after the health check path was renamed "
            "in the app but not in the load balancer.",
            severity="critical",
            components=["Public API"],
            cause="The health check path lives in infrastructure code nobody changed with it.",
            terms="INCOMPLETE_PERSPECTIVE",
        ),
        new(
            "All targets unhealthy behind the LB",
            "/healthz answers 404 since the release.",
            severity="critical",
            components=["Public API"],
        ),
    ),
    (
        past(
            "Websocket connections dropped on every ingress reload",
            "Live dashboards disconnected every few minutes because each nginx ingress "
            "configuration reload closed long-lived connections.",
            severity="trivial",
            components=["Live updates"],
            cause="worker-shutdown-timeout was 10 seconds; reloads happen on every deploy.",
            terms="INFRASTRUCTURE_ERROR",
        ),
        new(
            "Live dashboards keep disconnecting",
            "Websockets closed by nginx, looks related to ingress reloads.",
            severity="trivial",
        ),
    ),
    (
        past(
            "Bucket policy change made user avatars private",
            "Profile pictures were broken for a day after a storage bucket policy was "
            "tightened; object storage answered 403 to anonymous reads.",
            severity="trivial",
            components=["Website"],
            cause="The policy change was made in the console, not in code, and not reviewed.",
            terms="LACK_OF_TRACEABILITY",
        ),
        new(
            "Profile pictures show a broken image",
            "S3 returns 403 access denied.",
            severity="trivial",
        ),
    ),
    # Sign-in ----------------------------------------------------------------------------------
    (
        past(
            "SSO sign-in failing after the identity provider rotated its key",
            "Business customers could not sign in with SAML for 90 minutes: the identity "
            "provider rotated its signing key and we pinned the old one.",
            severity="major",
            components=["Login"],
            cause="The IdP metadata was copied once instead of fetched.",
            terms="THIRD_PARTY_CHANGE",
        ),
        new(
            "Users cannot sign in with SAML",
            "Invalid signature on assertion.",
            severity="major",
            components=["Login"],
        ),
    ),
    (
        past(
            "Everyone signed out after the session secret changed",
            "Every customer was signed out at once when a configuration deploy replaced the "
            "secret used to sign session cookies.",
            severity="major",
            components=["Login"],
            cause="The secret was regenerated by a new deploy template; the team that owned it "
            "was not told.",
            terms="COMMUNICATION_FAILURE",
        ),
        new(
            "All customers logged out at the same moment",
            "Right after a config deploy.",
            severity="major",
        ),
    ),
    (
        past(
            "Credential stuffing attack locked out customer accounts",
            "Failed sign-ins from thousands of addresses triggered account lockouts for real "
            "customers for two hours.",
            severity="major",
            components=["Login"],
            cause="Lockout was per account, not per source; no rate limit at the edge.",
            terms="MISSING_ALERT",
            labels={"alertname": "LoginFailureSpike"},
        ),
        new(
            "Spike of failed logins from many IPs",
            "Customers report being locked out.",
            severity="major",
            components=["Login"],
            labels={"alertname": "LoginFailureSpike"},
        ),
    ),
    (
        past(
            "Password reset links expired as soon as they were sent",
            "Reset links were refused as expired for 6 hours because one app server's clock "
            "ran 2 hours ahead after NTP stopped.",
            severity="trivial",
            components=["Login"],
            cause="The NTP daemon was removed from the base image by mistake.",
            terms="INFRASTRUCTURE_ERROR",
        ),
        new(
            "Reset password link says expired right away", severity="trivial", components=["Login"]
        ),
    ),
    # Performance ----------------------------------------------------------------------------
    (
        past(
            "Search latency went to 10 seconds after an index mapping change",
            "Search queries took up to 10 seconds for two days: a mapping change turned a "
            "keyword field into text and every filter became a full-text query.",
            severity="major",
            components=["Search"],
            cause="The mapping change passed review without a query benchmark.",
            terms="MISSING_TEST",
            labels={"alertname": "SearchLatencyHigh"},
        ),
        new(
            "Search results very slow",
            "Queries take over 8 seconds.",
            severity="major",
            components=["Search"],
        ),
    ),
    (
        past(
            "Order history page timing out after an ORM upgrade",
            "Customers with many orders could not open their order history: the upgrade "
            "changed lazy loading and the page made one query per order line.",
            severity="major",
            components=["Orders API"],
            cause="An N+1 query introduced by the upgrade; no test counts queries.",
            terms="MISSING_TEST",
        ),
        new(
            "Order history not loading for big customers",
            "Gateway timeout after 30 seconds.",
            severity="major",
            components=["Orders API"],
        ),
    ),
    (
        past(
            "Cache eviction storm slowed the catalogue",
            "Catalogue pages were slow for an hour after Redis maxmemory was lowered and "
            "keys were evicted faster than they were filled.",
            severity="major",
            components=["Catalog"],
            cause="maxmemory was halved to save costs without looking at the working set.",
            terms="INFRASTRUCTURE_ERROR",
            labels={"alertname": "RedisEvictionsHigh", "cluster": "catalog-cache"},
        ),
        new(
            "Product pages slow",
            "Cache hit rate dropped to 20%, redis evicting keys.",
            severity="major",
            components=["Catalog"],
        ),
    ),
    (
        past(
            "Purging the whole CDN cache overloaded the origin",
            "The website was slow and partly down for 30 minutes after every CDN object was "
            "purged at once and all traffic went to the origin servers.",
            severity="major",
            components=["Website"],
            cause="The purge button purges everything; the runbook said to purge one path.",
            terms="INCOMPLETE_PERSPECTIVE",
        ),
        new(
            "Origin servers overloaded",
            "Someone purged the CDN and traffic hits origin.",
            severity="major",
            components=["Website"],
        ),
    ),
    # Data -------------------------------------------------------------------------------------
    (
        past(
            "Nightly backups failing silently for two weeks",
            "A restore drill found that the nightly database backup had failed for 14 days; "
            "the job's errors went to a mailbox nobody reads.",
            severity="major",
            components=["Backups"],
            cause="Backup failures were mailed, not alerted.",
            terms="MISSING_ALERT",
        ),
        new(
            "Restore test found no recent backups",
            "Backup cron has been erroring.",
            severity="major",
            components=["Backups"],
        ),
    ),
    (
        past(
            "Duplicate customer records after a CRM sync retry",
            "Sales saw every customer twice after the CRM sync job was retried and created "
            "new records instead of updating existing ones.",
            severity="trivial",
            components=["CRM sync"],
            cause="The sync matched on an id the CRM reassigns.",
            terms="DATA_QUALITY",
        ),
        new("Every customer appears twice in the CRM", severity="trivial", components=["CRM sync"]),
    ),
    (
        past(
            "Scheduled reports ran an hour early after the clocks changed",
            "Daily exports for customers were generated an hour early after daylight saving "
            "time ended, with a day of data missing.",
            severity="trivial",
            components=["Reporting"],
            cause="Schedules were stored in UTC offsets instead of the customer's time zone.",
            terms="MISSING_TEST",
        ),
        new(
            "Exports sent at the wrong hour",
            "Since the DST switch last weekend.",
            severity="trivial",
            components=["Reporting"],
        ),
    ),
    (
        past(
            "Invoices issued with the wrong VAT rate",
            "Dutch customers were invoiced 19% VAT instead of 21% for a week after the tax "
            "table update.",
            severity="major",
            components=["Billing"],
            cause="The tax table import mixed up two country codes.",
            terms="DATA_QUALITY",
        ),
        new(
            "Invoices show the wrong tax percentage",
            "Netherlands customers affected.",
            severity="major",
            components=["Billing"],
        ),
    ),
    # Releases and change ------------------------------------------------------------------------
    (
        past(
            "Beta checkout shown to every customer after a flag rollout",
            "A feature flag meant for 1% of users was enabled for everyone, and the beta "
            "checkout lost 8% of orders for an hour.",
            severity="major",
            components=["Checkout"],
            cause="The flag's targeting rule was edited without an audit trail.",
            terms="LACK_OF_TRACEABILITY",
        ),
        new(
            "Everyone sees the new checkout flow",
            "Feature flag targeting looks wrong.",
            severity="major",
            components=["Checkout"],
        ),
    ),
    (
        past(
            "Release shipped with a syntax error because the lint stage was skipped",
            "The API failed to start on half the hosts after a release whose pipeline skipped "
            "the lint stage.",
            severity="critical",
            components=["Platform"],
            cause="A pipeline change made the lint stage optional on hotfix branches.",
            terms="FAILED_LINTER",
        ),
        new(
            "Release went out with a syntax error",
            "CI lint step did not run for this build.",
            severity="critical",
        ),
    ),
    (
        past(
            "Rollback impossible: previous image tag deleted from the registry",
            "A bad release could not be rolled back for 40 minutes because the registry's "
            "cleanup policy had deleted the previous image.",
            severity="major",
            components=["Platform"],
            cause="The cleanup kept only the newest 5 tags of any branch.",
            terms="INFRASTRUCTURE_ERROR",
        ),
        new(
            "Cannot roll back the API",
            "The old container image is missing.",
            severity="major",
            components=["Platform"],
        ),
    ),
    (
        past(
            "Payments service wrote to the staging database",
            "For 25 minutes production payments were recorded in the staging database "
            "because of a typo in a config map.",
            severity="critical",
            components=["Payments"],
            cause="Hostnames of staging and production differ by one letter.",
            terms="INCOMPLETE_PERSPECTIVE",
        ),
        new(
            "Production payments going to the staging DB host",
            severity="critical",
            components=["Payments"],
        ),
    ),
    # Suppliers and the rest -------------------------------------------------------------------
    (
        past(
            "Store locator map blank: maps API quota exhausted",
            "The store finder showed an empty map for a day because the maps provider key "
            "reached its daily quota.",
            severity="trivial",
            components=["Store locator"],
            cause="A crawler hit the page and used the quota.",
            terms="THIRD_PARTY_ERROR",
        ),
        new(
            "Store finder map not loading",
            "Geocoding API says over query limit.",
            severity="trivial",
        ),
    ),
    (
        past(
            "No delivery options at checkout after the carrier changed its API",
            "Customers could not choose shipping for 3 hours because the carrier's rates API "
            "renamed fields in its JSON response.",
            severity="critical",
            components=["Checkout"],
            cause="The carrier deprecated the old fields with two weeks' notice by email.",
            terms="THIRD_PARTY_CHANGE",
        ),
        new(
            "No shipping options shown at checkout",
            "Carrier rates response has new JSON field names.",
            severity="critical",
            components=["Checkout"],
        ),
    ),
    (
        past(
            "Push notifications stopped when the APNs certificate expired",
            "iOS users got no push notifications for three days.",
            severity="trivial",
            components=["Notifications"],
            cause="The push certificate expired; its date was in no calendar or monitor.",
            terms="MISSING_ALERT",
        ),
        new(
            "iPhone users get no push notifications",
            severity="trivial",
            components=["Notifications"],
        ),
    ),
    (
        past(
            "Scheduled jobs ran twice after a leader election bug",
            "Two scheduler instances both believed they were leader for a night and every "
            "cron job ran twice, the monthly billing run included.",
            severity="major",
            components=["Platform"],
            cause="The lock's lease outlived a network partition.",
            terms="INFRASTRUCTURE_ERROR",
        ),
        new(
            "Daily billing run executed twice",
            "Looks like two scheduler instances both ran the cron.",
            severity="major",
        ),
    ),
    (
        past(
            "Image resizer leaked memory after a library upgrade",
            "Uploads failed every few hours as the resizer's memory grew until the container "
            "was restarted.",
            severity="trivial",
            components=["Media"],
            cause="The upgraded imaging library keeps a cache per process.",
            terms="THIRD_PARTY_CHANGE",
            labels={"alertname": "ContainerMemoryHigh", "service": "resizer"},
        ),
        new(
            "Image uploads failing",
            "Resizer memory grows until it restarts.",
            severity="trivial",
            labels={"alertname": "ContainerMemoryHigh", "service": "resizer"},
        ),
    ),
    (
        past(
            "Logs lost when the logging cluster's disk filled up",
            "No application logs were stored for 6 hours after a debug flag flooded the "
            "logging cluster and Elasticsearch hit its disk watermark.",
            severity="trivial",
            components=["Observability"],
            cause="Debug logging was left on after an investigation.",
            terms="MISSING_ALERT",
        ),
        new(
            "No logs in Kibana since 02:00",
            "Elasticsearch disk watermark exceeded.",
            severity="trivial",
            components=["Observability"],
        ),
    ),
]

# Incidents that share words with the pairs above but not their cause.
DISTRACTORS = [
    past(
        "Database maintenance window overran by an hour",
        "The planned Postgres upgrade on the orders database took longer than announced.",
        severity="trivial",
        components=["Orders API"],
    ),
    past(
        "Certificate renewal reminder sent to a former employee",
        "No outage: the reminder for the certificate renewal went to a closed mailbox.",
        severity="trivial",
    ),
    past(
        "Checkout conversion dropped during a pricing experiment",
        "Conversion fell 3% while an A/B test on shipping prices ran.",
        severity="trivial",
        components=["Checkout"],
        terms="NO_SPECIFIED",
    ),
    past(
        "Sign-in page slow during the morning traffic peak",
        "Login took 4 seconds at 09:00 because of the password hashing cost.",
        severity="trivial",
        components=["Login"],
    ),
    past(
        "Order confirmation email showed the wrong logo",
        "A template change used the old brand logo in confirmation emails.",
        severity="trivial",
        components=["Notifications"],
        terms="MISSING_TEST",
    ),
    past(
        "Kubernetes cluster upgrade postponed after failed pre-check",
        "The node pool upgrade was aborted; no customer impact.",
        severity="trivial",
        components=["Platform"],
    ),
    past(
        "Payments dashboard in the admin showed wrong totals",
        "The internal payments report summed refunds twice.",
        severity="trivial",
        components=["Payments"],
        terms="DATA_QUALITY",
    ),
    past(
        "Search index rebuild took the whole night",
        "The weekly reindex of search ran 9 hours instead of 2.",
        severity="trivial",
        components=["Search"],
    ),
    past(
        "Billing export to accounting delayed by a day",
        "The accounting partner's SFTP server was down.",
        severity="trivial",
        components=["Billing"],
        terms="THIRD_PARTY_ERROR",
    ),
    past(
        "Website cookie banner covered the checkout button on small phones",
        "A layout change put the consent banner over the pay button.",
        severity="major",
        components=["Website", "Checkout"],
        terms="MISSING_TEST",
    ),
    past(
        "Redis failover during provider maintenance",
        "Sessions were lost when the managed Redis failed over.",
        severity="major",
        components=["Login"],
        terms="THIRD_PARTY_ERROR",
        labels={"alertname": "RedisDown", "cluster": "sessions"},
    ),
    past(
        "API rate limiter blocked a large partner",
        "A partner's nightly sync hit the rate limit and retried in a loop.",
        severity="trivial",
        components=["Public API"],
    ),
    past(
        "Memory alert on the reporting workers",
        "Workers ran hot during month-end reports; no failures.",
        severity="trivial",
        components=["Reporting"],
        labels={"alertname": "ContainerMemoryHigh", "service": "report-worker"},
    ),
    past(
        "Mobile app crash on launch for Android 9",
        "A new analytics library crashed on old Android versions.",
        severity="major",
        terms="THIRD_PARTY_CHANGE",
    ),
    past(
        "Orders API slow while the connection pooler restarted",
        "PgBouncer was restarted during business hours; orders took 3 seconds for a minute.",
        severity="trivial",
        components=["Orders API"],
        terms="COMMUNICATION_FAILURE",
    ),
    past(
        "Checkout failing for PayPal after a release",
        "The PayPal button errored for 20 minutes after a release changed its callback URL.",
        severity="major",
        components=["Checkout", "Payments"],
        terms="MISSING_TEST",
    ),
    past(
        "Card payments slow during the sale",
        "Authorisation took 6 seconds at peak; no payments failed.",
        severity="trivial",
        components=["Payments"],
        labels={"alertname": "PaymentLatencyHigh"},
    ),
    past(
        "Customers could not sign in after a password policy change",
        "Old passwords shorter than 12 characters were refused at sign-in instead of at the "
        "next change.",
        severity="major",
        components=["Login"],
        terms="MISSING_TEST",
    ),
    past(
        "Users logged out on mobile after an app update",
        "The new app version dropped its refresh token on upgrade.",
        severity="trivial",
        components=["Login"],
        terms="MISSING_TEST",
    ),
    past(
        "Email provider rejected mail for an expired domain verification",
        "Transactional emails bounced for 2 hours until the sender domain was verified again.",
        severity="major",
        components=["Notifications"],
        terms="THIRD_PARTY_ERROR",
    ),
    past(
        "Search crash after a plugin upgrade",
        "The search cluster would not start after a plugin upgrade; results came from the "
        "fallback for an hour.",
        severity="major",
        components=["Search"],
        terms="THIRD_PARTY_CHANGE",
        labels={"alertname": "KubePodCrashLooping", "namespace": "search-canary"},
    ),
    past(
        "Deploy pipeline blocked by an expired registry token",
        "No release could be deployed for a morning.",
        severity="trivial",
        components=["Platform"],
        terms="ROTATION_FAILURE",
    ),
    past(
        "Website slow from Asia after a CDN region was disabled",
        "Pages took 8 seconds to load for customers in Asia.",
        severity="trivial",
        components=["Website"],
        terms="THIRD_PARTY_ERROR",
    ),
    past(
        "Invoices missing the customer's address",
        "A template change left the address block empty on PDF invoices.",
        severity="trivial",
        components=["Billing"],
        terms="MISSING_TEST",
    ),
    past(
        "Kafka broker disk full",
        "One broker stopped accepting writes; producers failed over to the others.",
        severity="trivial",
        components=["Events pipeline"],
        labels={"alertname": "NodeFilesystemAlmostFull", "mountpoint": "/var/lib/kafka"},
    ),
    past(
        "Nightly reports failed after a database password rotation",
        "The reporting job used a credential that the rotation had revoked.",
        severity="trivial",
        components=["Reporting"],
        terms="ROTATION_FAILURE",
    ),
    past(
        "Shipping labels printed twice in the warehouse",
        "A retry in the label service printed every label twice for a morning.",
        severity="trivial",
        terms="UNHANDLED_EXCEPTION",
    ),
    past(
        "Product images slow to load after moving to a new bucket",
        "Images were served from the far region for a day.",
        severity="trivial",
        components=["Media"],
    ),
    past(
        "Customer data export timed out for large accounts",
        "Exports over 1 GB hit the worker's 30 minute limit.",
        severity="trivial",
        components=["Reporting"],
    ),
    past(
        "Two-factor enrolment page crashed for some users",
        "An unhandled null phone number broke the 2FA set-up page.",
        severity="trivial",
        components=["Login"],
        terms="UNHANDLED_EXCEPTION",
    ),
]


def load_history(*, actor=None):
    """Make the earlier incidents of CASES and the DISTRACTORS, resolved, with their
    postmortems and alert groups, declared one day apart (oldest first, interleaved so that
    recency decides nothing). Returns the incident of each case's `past`, in CASES order."""
    from incidentdesk.alerts.models import AlertGroup, Integration
    from incidentdesk.incidents.models import Component, IncidentStatus
    from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate
    from tests.factories import IncidentFactory, severity

    template = PostmortemTemplate.objects.get(key="blameless")
    integration = Integration.objects.create(
        kind="alertmanager", name="cases", key_id="cases0001", digest="0" * 64
    )
    rows = [("case", p) for p, _ in CASES] + [("distractor", d) for d in DISTRACTORS]
    # Distractors between the cases, so neither side is always the newest.
    rows.sort(key=lambda row: zlib.crc32(row[1]["title"].encode()) % 97)
    start = timezone.now() - timedelta(days=len(rows) + 30)
    made = {}
    for n, (_, spec) in enumerate(rows):
        moment = start + timedelta(days=n)
        incident = IncidentFactory(
            title=spec["title"],
            summary=spec["summary"],
            impact=spec["impact"],
            severity=severity(spec["severity"]),
            status=IncidentStatus.RESOLVED,
            declared_at=moment,
            detected_at=moment,
            resolved_at=moment + timedelta(hours=2),
        )
        incident.components.set(
            [Component.objects.get_or_create(name=name)[0] for name in spec["components"]]
        )
        if spec["cause"] or spec["terms"]:
            principal = spec["terms"].split("<")[0].strip()
            Postmortem.objects.create(
                incident=incident,
                template=template,
                sections={"cause": spec["cause"]},
                taxonomy_principal=principal,
                taxonomy_tree=spec["terms"],
                created_by=actor,
            )
        if spec["labels"]:
            AlertGroup.objects.create(
                integration=integration,
                group_key=f"{{}}:{incident.pk}",
                group_digest=f"{incident.pk:064d}",
                status="resolved",
                summary=spec["title"],
                labels=spec["labels"],
                first_seen_at=moment,
                last_seen_at=moment,
                resolved_at=moment + timedelta(hours=1),
                incident=incident,
            )
        made[spec["title"]] = incident
    return [made[p["title"]] for p, _ in CASES]


def rank_of_true_match(viewer, history, *, mode: str = "declare", limit: int = 10) -> list:
    """For each case, the 1-based rank of its true earlier incident among what
    `similar_to_draft` (mode "title": the title alone, as it is typed; "declare": what the
    declare form holds) or `similar_to_incident`
    (mode "incident": the declared incident, with its alert's labels) returns, or None when it
    is not in the first `limit`."""
    from incidentdesk.alerts.models import AlertGroup, Integration
    from incidentdesk.incidents.models import Component, Severity
    from incidentdesk.search.similar import similar_to_draft, similar_to_incident
    from tests.factories import IncidentFactory

    ranks = []
    for (_, spec), truth in zip(CASES, history, strict=True):
        components = Component.objects.filter(name__in=spec["components"])
        severity = Severity.objects.get(key=spec["severity"])
        if mode == "title":
            found = similar_to_draft(viewer=viewer, title=spec["title"], limit=limit)
        elif mode == "declare":
            found = similar_to_draft(
                viewer=viewer,
                title=spec["title"],
                summary=spec["summary"],
                severity=severity,
                components=components,
                limit=limit,
            )
        else:
            incident = IncidentFactory(
                title=spec["title"], summary=spec["summary"], severity=severity
            )
            incident.components.set(components)
            if spec["labels"]:
                AlertGroup.objects.create(
                    integration=Integration.objects.get(key_id="cases0001"),
                    group_key=f"new:{incident.pk}",
                    group_digest=f"n{incident.pk:063d}",
                    summary=spec["title"],
                    labels=spec["labels"],
                    first_seen_at=timezone.now(),
                    last_seen_at=timezone.now(),
                    incident=incident,
                )
            found = similar_to_incident(incident, viewer=viewer, limit=limit)
            incident.delete()
        keys = [s.incident.pk for s in found]
        ranks.append(keys.index(truth.pk) + 1 if truth.pk in keys else None)
    return ranks


def figures(ranks: list) -> dict:
    """recall@1, recall@3 and the mean reciprocal rank of some ranks (None: not found)."""
    n = len(ranks)
    return {
        "cases": n,
        "recall@1": sum(1 for r in ranks if r == 1) / n,
        "recall@3": sum(1 for r in ranks if r is not None and r <= 3) / n,
        "mrr": sum(1 / r for r in ranks if r) / n,
    }


def require_wordllama() -> None:
    """Skip a test of the optional embedding when wordllama is not installed; fail instead
    when INCIDENTDESK_REQUIRE_SIMILAR_EMBEDDINGS=1 (CI installs the `similar` extra)."""
    try:
        import wordllama  # noqa: F401
    except ImportError:
        reason = "the optional wordllama package is not installed (pip install '.[similar]')"
        if os.environ.get("INCIDENTDESK_REQUIRE_SIMILAR_EMBEDDINGS") == "1":
            pytest.fail(reason)
        pytest.skip(reason)

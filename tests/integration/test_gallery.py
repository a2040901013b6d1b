"""The library's services on SQLite and PostgreSQL: search, filters, keyset pages, favourites, collections,
sharing, likes, deletes, image detail, downloads and usage history."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import update
from sqlmodel import select

from palett.models import CollectionImage, CreditTransaction, GeneratedImage, Job, User, utcnow
from palett.services.accounts import users as accounts
from palett.services.common.errors import UserError
from palett.services.generation import pipeline
from palett.services.generation.submit import write_job
from palett.services.library import gallery, usage
from palett.services.media.storage import get_storage, new_key

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
MAX_PAGES = 50  # more pages than any test here makes


# ---- helpers (also used by test_library_access) ------------------------------------------------------------


def new_user(db, email: str = "maker@example.com") -> int:
    with db() as s:
        return accounts.create_user(s, email=email, verified=True).id


def png_bytes(colour=(200, 80, 40), size=(32, 24), mode="RGB") -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, "PNG")
    return buf.getvalue()


def stored_files(user_id: int) -> tuple[str, str]:
    storage = get_storage()
    key = new_key(user_id, "png")
    thumb = key.rsplit(".", 1)[0] + "-thumb.webp"
    storage.put(key, png_bytes(), "image/png")
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (1, 2, 3)).save(buf, "WEBP")
    storage.put(thumb, buf.getvalue(), "image/webp")
    return key, thumb


def add_image(db, user_id: int, prompt: str = "a quiet harbour", *, created: datetime | None = None,
              store: bool = False, **fields) -> int:
    key, thumb = stored_files(user_id) if store else (f"u/{user_id}/missing.png", None)
    with db() as s:
        img = GeneratedImage(user_id=user_id, prompt=prompt, image_url=key, thumbnail_url=thumb, width=32,
                             height=24, model=fields.pop("model", "local-preview"), created_at=created or utcnow(),
                             **fields)
        s.add(img)
        s.flush()
        return img.id


def ids_of(page) -> list[int]:
    return [t.id for t in page.items]


def code_of(call) -> str:
    with pytest.raises(UserError) as err:
        call()
    return err.value.code


# ---- search and filters ------------------------------------------------------------------------------------


def test_search_finds_a_word_of_the_prompt_and_never_others_images(db):
    me, other = new_user(db), new_user(db, "other@example.com")
    lighthouse = add_image(db, me, "A red Lighthouse at dusk, oil painting")
    forest = add_image(db, me, "green forest in the morning mist")
    add_image(db, other, "lighthouse in the fog")
    with db() as s:
        assert ids_of(gallery.page(s, me, q="lighthouse")) == [lighthouse]
        assert ids_of(gallery.page(s, me, q="LIGHT")) == [lighthouse]  # prefix, any case
        assert ids_of(gallery.page(s, me, q="red, dusk!")) == [lighthouse]  # every word, punctuation ignored
        assert ids_of(gallery.page(s, me, q="red forest")) == []
        assert ids_of(gallery.page(s, me, q="mist")) == [forest]
        assert sorted(ids_of(gallery.page(s, me, q="  !!  "))) == sorted([lighthouse, forest])  # no words: all
        assert ids_of(gallery.page(s, me, q='fog" OR "x')) == []
        page = gallery.page(s, me, q="lighthouse")
        assert page.total == 1 and page.items[0].prompt.startswith("A red Lighthouse")
    with db() as s:
        gallery.delete_images(s, me, [lighthouse])
    with db() as s:
        assert ids_of(gallery.page(s, me, q="lighthouse")) == []  # the index forgot the deleted row


def test_each_filter_and_sort(db):
    me = new_user(db)
    a = add_image(db, me, "alpha", created=T0, operation="t2i", model="flux-dev")
    b = add_image(db, me, "beta", created=T0 + timedelta(days=1), operation="upscale", model="esrgan")
    c = add_image(db, me, "gamma", created=T0 + timedelta(days=2), operation="t2i", model="local-preview")
    d = add_image(db, me, "delta", created=T0 + timedelta(days=3, hours=11), operation="upload", model="")
    with db() as s:
        gallery.set_favorite(s, me, b, True)
        gallery.set_public(s, me, [c], True)
        album = gallery.create_collection(s, me, "Best").id
        gallery.add_images(s, me, album, [a, d])
    with db() as s:
        assert ids_of(gallery.page(s, me)) == [d, c, b, a]
        assert ids_of(gallery.page(s, me, sort="oldest")) == [a, b, c, d]
        assert ids_of(gallery.page(s, me, operation="t2i")) == [c, a]
        assert ids_of(gallery.page(s, me, model="esrgan")) == [b]
        assert ids_of(gallery.page(s, me, favorites=True)) == [b]
        assert ids_of(gallery.page(s, me, visibility="public")) == [c]
        assert ids_of(gallery.page(s, me, visibility="private")) == [d, b, a]
        assert ids_of(gallery.page(s, me, collection_id=album)) == [d, a]
        day = T0.date()
        assert ids_of(gallery.page(s, me, date_from=day + timedelta(days=1), date_to=day + timedelta(days=2))) == [
            c, b]
        assert ids_of(gallery.page(s, me, date_to=day + timedelta(days=3))) == [d, c, b, a]  # whole last day
        assert ids_of(gallery.page(s, me, date_from=T0 + timedelta(days=2))) == [d, c]
        assert ids_of(gallery.page(s, me, operation="t2i", q="gam")) == [c]
        facets = gallery.facets(s, me)
        assert {o.value: o.count for o in facets.operations} == {"t2i": 2, "upscale": 1, "upload": 1}
        assert {o.value for o in facets.models} == {"flux-dev", "esrgan", "local-preview"}
        assert [o.label for o in facets.operations if o.value == "upscale"] == ["Upscale"]
        tile = gallery.page(s, me, model="flux-dev").items[0]
        assert tile.model_label == "FLUX.1 dev" and tile.url.startswith("/api/media/u/") and "sig=" in tile.thumb


def test_keyset_pages_never_repeat_or_skip_while_new_images_arrive(db):
    me = new_user(db)
    # Ties on created_at on purpose: the id breaks them.
    original = {add_image(db, me, f"scene {i}", created=T0 + timedelta(minutes=i // 3)) for i in range(23)}
    for sort in ("newest", "oldest"):
        seen: list[int] = []
        cursor, arrived = None, set()
        for _ in range(MAX_PAGES):  # a cursor that never runs out fails here instead of hanging
            with db() as s:
                page = gallery.page(s, me, cursor=cursor, limit=4, sort=sort)
            seen += ids_of(page)
            arrived.add(add_image(db, me, "arrived meanwhile"))  # a new image between page loads
            cursor = page.next_cursor
            if cursor is None:
                break
        else:
            pytest.fail(f"paging {sort} never ended")
        assert len(seen) == len(set(seen))  # no repeats
        assert original <= set(seen)  # no skips
        if sort == "newest":
            assert set(seen) == original  # newer images never shift into later pages
        original |= arrived


def test_a_damaged_cursor_is_refused(db):
    me = new_user(db)
    for i in range(3):
        add_image(db, me, f"x{i}")
    with db() as s:
        cursor = gallery.page(s, me, limit=1).next_cursor
        assert code_of(lambda: gallery.page(s, me, cursor="garbage")) == "page_expired"
        assert code_of(lambda: gallery.page(s, me, cursor=cursor, sort="oldest")) == "page_expired"


def test_neighbours_follow_the_filtered_order(db):
    me = new_user(db)
    a, b, c, d = (add_image(db, me, p, created=T0 + timedelta(hours=i), operation="t2i" if i != 2 else "upscale")
                  for i, p in enumerate(["a", "b", "c", "d"]))
    with db() as s:
        assert gallery.neighbours(s, me, b) == gallery.Neighbours(prev=c, next=a)
        assert gallery.neighbours(s, me, d) == gallery.Neighbours(prev=None, next=c)
        only_t2i = gallery.Filters(operation="t2i")
        assert gallery.neighbours(s, me, b, filters=only_t2i) == gallery.Neighbours(prev=d, next=a)
        oldest = gallery.Filters(sort="oldest")
        assert gallery.neighbours(s, me, b, filters=oldest) == gallery.Neighbours(prev=a, next=c)


# ---- favourites, collections, sharing, likes ---------------------------------------------------------------


def test_favourites(db):
    me = new_user(db)
    img = add_image(db, me)
    with db() as s:
        assert gallery.set_favorite(s, me, img, True) is True
    with db() as s:
        assert gallery.page(s, me).items[0].favorite
        assert gallery.set_favorite(s, me, img, False) is False
        assert code_of(lambda: gallery.set_favorite(s, me, 999_999, True)) == "image_not_found"


def test_collections_crud_and_membership(db):
    me = new_user(db)
    a, b, c = (add_image(db, me, p, created=T0 + timedelta(minutes=i), store=True) for i, p in enumerate("abc"))
    with db() as s:
        trips = gallery.create_collection(s, me, "  Trips  2026 ")
        assert (trips.name, trips.count, trips.cover) == ("Trips 2026", 0, "")
        assert code_of(lambda: gallery.create_collection(s, me, "trips 2026")) == "collection_exists"
        assert code_of(lambda: gallery.create_collection(s, me, "   ")) == "collection_name_invalid"
        assert code_of(lambda: gallery.create_collection(s, me, "x" * 81)) == "collection_name_invalid"
        faces = gallery.create_collection(s, me, "Faces")
    with db() as s:
        assert gallery.add_images(s, me, trips.id, [a, b, b, 424242]) == 2
        assert gallery.add_images(s, me, trips.id, [a, c]) == 1  # a is in already
        assert gallery.add_images(s, me, faces.id, [a]) == 1  # an image can be in several
    with db() as s:
        listed = {v.name: v for v in gallery.list_collections(s, me)}
        assert [v.name for v in gallery.list_collections(s, me)] == ["Faces", "Trips 2026"]
        assert listed["Trips 2026"].count == 3 and listed["Trips 2026"].cover.startswith("/api/media/")
        assert [r.name for r in gallery.collections_of(s, me, a)] == ["Faces", "Trips 2026"]
        assert gallery.remove_images(s, me, trips.id, [b, 777]) == 1
        renamed = gallery.rename_collection(s, me, trips.id, "Travel")
        assert (renamed.name, renamed.count) == ("Travel", 2)
        assert code_of(lambda: gallery.rename_collection(s, me, trips.id, "faces")) == "collection_exists"
    with db() as s:
        assert sorted(ids_of(gallery.page(s, me, collection_id=trips.id))) == sorted([a, c])
        gallery.delete_images(s, me, [c])  # deleting an image takes it out of its collections
    with db() as s:
        assert [v.count for v in gallery.list_collections(s, me)] == [1, 1]
        gallery.delete_collection(s, me, trips.id)
    with db() as s:
        assert [v.name for v in gallery.list_collections(s, me)] == ["Faces"]
        assert sorted(ids_of(gallery.page(s, me))) == sorted([a, b])  # images stay
        assert s.exec(select(CollectionImage).where(CollectionImage.collection_id == trips.id)).all() == []
        assert code_of(lambda: gallery.page(s, me, collection_id=trips.id)) == "collection_not_found"


def test_public_images_get_a_share_link_that_dies_when_private(db):
    me, viewer = new_user(db), new_user(db, "viewer@example.com")
    img = add_image(db, me, "a cat astronaut", store=True, seed=7)
    with db() as s:
        [state] = gallery.set_public(s, me, [img, 31337], True)
        token = state.share_token
        assert state.is_public and len(token) == 22
        assert gallery.set_public(s, me, [img], True)[0].share_token == token  # stays stable while public
    with db() as s:
        shared = gallery.by_share_token(s, token, viewer_id=viewer)
        assert shared.id == img and shared.prompt == "a cat astronaut" and shared.seed == 7
        assert shared.og_title == "a cat astronaut" and not hasattr(shared, "source_url")
        assert [t.id for t in gallery.explore(s).items] == [img]
        gallery.set_public(s, me, [img], False)
    with db() as s:
        assert gallery.by_share_token(s, token) is None
        assert gallery.explore(s).items == []
        assert s.get(GeneratedImage, img).share_token is None
        again = gallery.set_public(s, me, [img], True)[0].share_token
    assert again != token
    with db() as s:
        assert gallery.by_share_token(s, token) is None and gallery.by_share_token(s, again).id == img
        assert gallery.by_share_token(s, "x") is None and gallery.by_share_token(s, "../" * 8) is None


def test_explore_newest_and_most_liked_in_keyset_pages(db):
    owner = new_user(db)
    fans = [new_user(db, f"fan{i}@example.com") for i in range(3)]
    imgs = [add_image(db, owner, f"public {i}", created=T0 + timedelta(minutes=i)) for i in range(5)]
    add_image(db, owner, "private one")
    with db() as s:
        gallery.set_public(s, owner, imgs, True)
    with db() as s:
        for n, fan in enumerate(fans):
            for img in imgs[: n + 1]:
                gallery.like(s, img, fan)
    with db() as s:
        newest, cursor = [], None
        for _ in range(MAX_PAGES):
            page = gallery.explore(s, cursor=cursor, limit=2, viewer_id=fans[0])
            newest += page.items
            if not (cursor := page.next_cursor):
                break
        else:
            pytest.fail("explore paging never ended")
        assert [t.id for t in newest] == imgs[::-1]
        assert [t.liked for t in newest] == [False, False, False, False, True]
        liked, cursor = [], None
        for _ in range(MAX_PAGES):
            page = gallery.explore(s, cursor=cursor, limit=2, sort="most_liked")
            liked += page.items
            if not (cursor := page.next_cursor):
                break
        else:
            pytest.fail("explore paging never ended")
        assert [t.likes for t in liked] == [3, 2, 1, 0, 0] and liked[0].id == imgs[0]
        assert len({t.id for t in liked}) == 5


def test_likes_count_once_per_user_and_only_on_public_images(db):
    owner = new_user(db)
    fans = [new_user(db, f"fan{i}@example.com") for i in range(6)]
    img = add_image(db, owner)
    with db() as s:
        assert code_of(lambda: gallery.like(s, img, fans[0])) == "image_not_found"  # private
        gallery.set_public(s, owner, [img], True)
    with db() as s:
        assert gallery.like(s, img, fans[0]) == gallery.LikeState(likes=1, liked=True)
    with db() as s:
        assert gallery.like(s, img, fans[0]) == gallery.LikeState(likes=1, liked=True)  # again: nothing
        assert code_of(lambda: gallery.like(s, 999_999, fans[0])) == "image_not_found"

    def like(fan):
        from palett.services.common.db import session_scope

        with session_scope() as s:
            gallery.like(s, img, fan)

    threads = [threading.Thread(target=like, args=(f,)) for f in fans for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with db() as s:
        assert s.get(GeneratedImage, img).likes == 6
        assert gallery.unlike(s, img, fans[0]) == gallery.LikeState(likes=5, liked=False)
        assert gallery.unlike(s, img, fans[0]) == gallery.LikeState(likes=5, liked=False)


# ---- delete ------------------------------------------------------------------------------------------------


def test_delete_removes_rows_links_and_stored_files_after_commit(db):
    me = new_user(db)
    a, b, keep = (add_image(db, me, p, store=True) for p in "abk")
    with db() as s:
        files = {i: (s.get(GeneratedImage, i).image_url, s.get(GeneratedImage, i).thumbnail_url) for i in (a, b, keep)}
        album = gallery.create_collection(s, me, "x").id
        gallery.add_images(s, me, album, [a, keep])
        # An image sharing a stored file (as seeded demo images do) keeps it alive.
        s.add(GeneratedImage(user_id=me, prompt="twin", image_url=files[b][0], thumbnail_url=files[b][1]))
    storage = get_storage()
    with pytest.raises(RuntimeError), db() as s:
        gallery.delete_images(s, me, [a])
        raise RuntimeError("the unit of work fails")
    assert storage.exists(files[a][0])  # rolled back: nothing deleted
    with db() as s:
        assert gallery.delete_images(s, me, [a, b, 123456]) == 2
        assert storage.exists(files[a][0])  # not before the commit
    assert not storage.exists(files[a][0]) and not storage.exists(files[a][1])
    assert storage.exists(files[b][0]) and storage.exists(files[keep][0])
    with db() as s:
        assert s.get(GeneratedImage, a) is None and s.get(GeneratedImage, keep) is not None
        assert [v.count for v in gallery.list_collections(s, me)] == [1]
        assert gallery.delete_images(s, me, []) == 0


# ---- detail, downloads ---------------------------------------------------------------------------------------


def run_job(db, user_id: int, params: dict) -> int:
    with db() as s:
        job_id = write_job(s, user=s.get(User, user_id), params=params).id
    asyncio.run(pipeline.execute(job_id))
    return job_id


def test_detail_has_the_full_recipe_with_cost_duration_source_and_collections(db):
    me = new_user(db)
    job = run_job(db, me, {"model": "local-preview", "prompt": "a quiet harbour at sunset", "size": "square",
                           "seed": 42})
    with db() as s:
        made = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == job)).one()
        album = gallery.create_collection(s, me, "Harbours").id
        gallery.add_images(s, me, album, [made.id])
    edit_job = run_job(db, me, {"model": "local-i2i", "prompt": "make it blue", "image_id": made.id, "seed": 3})
    with db() as s:
        info = gallery.detail(s, me, made.id)
        assert (info.prompt, info.seed, info.operation, info.provider, info.local) == (
            "a quiet harbour at sunset", 42, "t2i", "local", True)
        assert info.model_label == "Local preview — not AI" and info.size == "512 × 512"
        assert info.cost == 1 and info.job_id == job and info.duration_ms is not None and info.job_images == 1
        assert [c.name for c in info.collections] == ["Harbours"]
        assert info.rerun["prompt"] == "a quiet harbour at sunset" and info.rerun["operation"] == "t2i"
        assert info.download.endswith("dl=palett-" + str(made.id) + ".png")
        edited = s.exec(select(GeneratedImage).where(GeneratedImage.job_id == edit_job)).one()
        edit = gallery.detail(s, me, edited.id)
        assert edit.operation == "i2i" and edit.source_image_id == made.id and edit.source_url.startswith("/api/")
        assert edit.cost == 2 and edit.rerun["image_id"] == made.id and "image_key" not in edit.rerun


def test_zip_convert_and_export_my_data(db):
    me, other = new_user(db), new_user(db, "other@example.com")
    mine = [add_image(db, me, "sunny day", store=True), add_image(db, me, "sunny day", store=True)]
    theirs = add_image(db, other, "not yours", store=True)
    run_job(db, me, {"model": "local-preview", "prompt": "tiny", "size": "square"})
    with db() as s:
        archive = gallery.zip_images(s, me, [*mine, theirs])
        names = zipfile.ZipFile(io.BytesIO(b"".join(archive.chunks()))).namelist()
        assert archive.count == 2 and names == [f"palett-{mine[0]}-sunny-day.png", f"palett-{mine[1]}-sunny-day.png"]
        assert code_of(lambda: gallery.zip_images(s, me, [theirs])) == "image_not_found"
        for fmt, kind in (("jpeg", "JPEG"), ("webp", "WEBP"), ("png", "PNG")):
            converted = gallery.convert(s, me, mine[0], fmt)
            assert Image.open(io.BytesIO(converted.data)).format == kind
            assert converted.filename.startswith(f"palett-{mine[0]}.")
        assert code_of(lambda: gallery.convert(s, me, mine[0], "gif")) == "invalid_input"
        export = gallery.export_data(s, me)
        zipped = zipfile.ZipFile(io.BytesIO(b"".join(export.chunks())))
    names = zipped.namelist()
    assert sum(n.startswith("images/") for n in names) == 3 == export.count
    recipes = json.loads(zipped.read("recipes.json"))
    history = json.loads(zipped.read("history.json"))
    profile = json.loads(zipped.read("profile.json"))
    assert {r["prompt"] for r in recipes} == {"sunny day", "tiny"}
    assert all(r["file"] in names for r in recipes)
    assert len(history["jobs"]) == 1 and [t["kind"] for t in history["credit_ledger"]] == ["grant", "reserve",
                                                                                           "capture"]
    assert profile["email"] == "maker@example.com"
    blob = b"".join(zipped.read(n) for n in names if n.endswith(".json"))
    assert b"password" not in blob and b"not yours" not in blob and b"image_key" not in blob


# ---- usage history -------------------------------------------------------------------------------------------


def test_usage_history_csv_and_charts_add_up_to_the_ledger(db):
    me = new_user(db)
    with db() as s:
        from palett.services.billing import credits

        credits.apply(s, user_id=me, delta=50, kind=credits.Kind.admin_adjust, idempotency_key="more")
    ok = run_job(db, me, {"model": "local-preview", "prompt": "one", "size": "square", "num_images": 2})
    old = run_job(db, me, {"model": "local-preview", "prompt": "two", "size": "square"})
    with db() as s:
        cancelled = write_job(s, user=s.get(User, me), params={"model": "local-preview", "prompt": "three",
                                                                      "size": "square", "num_images": 3}).id
    with db() as s:
        pipeline.cancel(s, user_id=me, job_id=cancelled)
    today = utcnow().date()
    with db() as s:  # one job 40 days ago: in the 90-day charts, not the 30-day ones
        s.execute(update(Job).where(Job.id == old).values(created_at=utcnow() - timedelta(days=40)))
    with db() as s:
        rows = {r.job_id: r for r in usage.history(s, me).rows}
        assert (rows[ok].status, rows[ok].reserved, rows[ok].charged, rows[ok].refunded, rows[ok].images) == (
            "succeeded", 2, 2, 0, 2)
        assert (rows[cancelled].status, rows[cancelled].charged, rows[cancelled].refunded) == ("cancelled", 0, 3)
        assert rows[ok].duration_ms is not None and rows[ok].model_label == "Local preview — not AI"
        assert [r.job_id for r in usage.history(s, me, status="cancelled").rows] == [cancelled]
        assert [r.job_id for r in usage.history(s, me, date_to=today - timedelta(days=1)).rows] == [old]
        first = usage.history(s, me, limit=2)
        rest = usage.history(s, me, limit=2, cursor=first.next_cursor)
        assert [r.job_id for r in first.rows + rest.rows] == [cancelled, ok, old] and rest.next_cursor is None

        table = list(csv.DictReader(io.StringIO(usage.export_csv(s, me))))
        assert [int(r["job_id"]) for r in table] == [cancelled, ok, old]
        assert tuple(table[0]) == usage.CSV_COLUMNS and table[0]["credits_refunded"] == "3"

        spent = -sum(t.delta for t in s.exec(select(CreditTransaction).where(
            CreditTransaction.user_id == me, CreditTransaction.kind.in_(("reserve", "capture", "refund")))))
        assert spent == 3
        for days in (7, 30, 90):
            by_day = usage.credits_by_day(s, me, days)
            by_op = usage.credits_by_operation(s, me, days)
            assert len(by_day) == days and by_day[-1]["day"] == today.isoformat()
            expected = spent if days == 90 else 2
            assert sum(d["credits"] for d in by_day) == expected == sum(o["credits"] for o in by_op)
            assert usage.summary(s, me, days).credits_used == expected
        assert usage.credits_by_operation(s, me, 30) == [{"operation": "t2i", "label": "Text to image",
                                                          "credits": 2, "jobs": 2}]
        assert usage.summary(s, me, 30).credits_refunded == 3
        assert code_of(lambda: usage.credits_by_day(s, me, 0)) == "invalid_input"


def test_csv_cells_cannot_become_formulas(db):
    me = new_user(db)
    with db() as s:
        s.add(Job(user_id=me, operation="t2i", model="x", provider="local", status="failed", cost=1,
                  error="=HYPERLINK(\"http://evil\")"))
    with db() as s:
        text = usage.export_csv(s, me)
    assert "'=HYPERLINK" in text


# ---- migration 0003 on a database with rows --------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_0002(request, tmp_path):
    from sqlmodel import SQLModel

    from alembic import command
    from palett.services.common.db import engine_for
    from tests.integration.test_migrations import alembic_config

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
    else:
        url = request.getfixturevalue("pg_database")
        SQLModel.metadata.drop_all(engine_for(url))
        with engine_for(url).begin() as conn:
            conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    cfg = alembic_config(url)
    command.upgrade(cfg, "0002")
    yield url, cfg
    command.downgrade(cfg, "base")


def test_migration_0003_keeps_existing_images_searchable_and_shared(migrated_0002, monkeypatch):
    from alembic import command
    from palett.services.common.db import engine_for, session_scope
    from tests.conftest import reset_caches

    url, cfg = migrated_0002
    with engine_for(url).begin() as conn:
        conn.exec_driver_sql("INSERT INTO \"user\" (name, email, email_verified, credits, plan, role, disabled, "
                             "created_at, updated_at) VALUES ('a', 'a@example.com', true, 0, 'free', 'user', "
                             "false, '2026-01-01 00:00:00', '2026-01-01 00:00:00')")
        uid = conn.exec_driver_sql("SELECT id FROM \"user\"").scalar()
        for prompt, public in (("an old lighthouse", True), ("an old barn", False)):
            conn.exec_driver_sql(
                "INSERT INTO generated_image (user_id, prompt, model, image_url, width, height, operation, "
                "metadata, is_public, likes, created_at) VALUES "
                f"({uid}, '{prompt}', 'm', 'u/{uid}/a.png', 1, 1, 't2i', '{{}}', {str(public).lower()}, 0, "
                "'2026-01-01 00:00:00')")
    command.upgrade(cfg, "head")
    monkeypatch.setenv("DATABASE_URL", url)
    reset_caches()
    with session_scope() as s:
        found = gallery.page(s, uid, q="lighthouse").items
        assert [t.prompt for t in found] == ["an old lighthouse"] and not found[0].favorite
        token = s.exec(select(GeneratedImage.share_token).where(GeneratedImage.is_public == True)).one()  # noqa: E712
        assert token and gallery.by_share_token(s, token).prompt == "an old lighthouse"
        new = GeneratedImage(user_id=uid, prompt="a new lighthouse", image_url=f"u/{uid}/b.png")
        s.add(new)
    with session_scope() as s:
        assert len(gallery.page(s, uid, q="lighthouse").items) == 2  # kept in sync after the upgrade


def test_services_never_import_reflex():
    root = Path(__file__).parents[2] / "palett" / "services"
    paths = list(root.rglob("*.py"))
    assert len(paths) > 50
    for path in paths:
        assert "import reflex" not in path.read_text() and "from reflex" not in path.read_text(), path


def test_day_helpers_take_dates_and_datetimes():
    from palett.services.common.paging import day_end, day_start

    d = date(2026, 5, 1)
    assert day_end(d) - day_start(d) == timedelta(days=1)
    assert day_start(datetime(2026, 5, 1, 10)).tzinfo is not None

"""Public profiles, Remix recipes and hidden prompts, tried the way a curious visitor would."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from sqlmodel import select
from starlette.testclient import TestClient

from palett.api import library_routes
from palett.models import GeneratedImage, User
from palett.services.library import gallery
from tests.integration.test_gallery import add_image, new_user, run_job

SECRET = "zebra-violin-secret-7731"


@pytest.fixture
def author(db):
    """Ada shares one image with its prompt, one with the prompt hidden, and keeps one private."""
    ada = new_user(db, "ada@example.com")
    with db() as s:
        s.get(User, ada).name = "Ada Lovelace"
    job = run_job(db, ada, {"model": "local-preview", "prompt": f"a {SECRET} lighthouse", "size": "square", "seed": 77})
    shown = add_image(db, ada, "an open harbour at dawn", store=True)
    private = add_image(db, ada, "a private diary page", store=True)
    with db() as s:
        hidden = s.exec(select(GeneratedImage.id).where(GeneratedImage.job_id == job)).one()
        s.get(GeneratedImage, hidden).negative_prompt = "blurry " + SECRET
        t_hidden = gallery.set_public(s, ada, [hidden], True, show_prompt=False)[0].share_token
        t_shown = gallery.set_public(s, ada, [shown], True)[0].share_token
    return {"ada": ada, "hidden": hidden, "shown": shown, "private": private, "t_hidden": t_hidden,
            "t_shown": t_shown}


def test_a_hidden_prompt_never_reaches_a_visitor(db, author):
    with db() as s:
        assert s.get(GeneratedImage, author["shown"]).prompt_public  # shown is the default
        tiles = {t.id: t for t in gallery.explore(s).items}
        assert tiles[author["hidden"]].prompt == "" and tiles[author["shown"]].prompt == "an open harbour at dawn"
        page = gallery.by_share_token(s, author["t_hidden"])
        assert page is not None and not page.prompt_public
        profile = gallery.public_profile(s, str(author["ada"]))
        recipe = gallery.remix_recipe(s, author["t_hidden"])
    dumped = repr((tiles, page, profile, recipe))
    assert SECRET not in dumped  # not in the feed, the share data, the profile or the remix recipe
    assert recipe is not None and recipe["prompt"] == "" and "negative_prompt" not in recipe


def test_the_share_page_html_has_no_hidden_prompt_but_offers_remix_and_the_author(db_url, db, author):
    app = FastAPI()
    app.include_router(library_routes.share_router)
    with TestClient(app) as client:
        hidden = client.get(f"/api/share/{author['t_hidden']}")
        shown = client.get(f"/api/share/{author['t_shown']}")
    assert hidden.status_code == 200 and SECRET not in hidden.text  # not in the body, the title or og: tags
    assert "keeps the prompt to themselves" in hidden.text
    assert f"/studio?remix={author['t_hidden']}" in hidden.text
    assert f"/u/{author['ada']}-ada-lovelace" in hidden.text and "Ada Lovelace" in hidden.text
    assert "an open harbour at dawn" in shown.text and "ada@example.com" not in shown.text


def test_remix_carries_model_and_settings_with_a_fresh_seed(db, author):
    with db() as s:
        recipe = gallery.remix_recipe(s, author["t_hidden"])
        shown = gallery.remix_recipe(s, author["t_shown"])
        gallery.set_public(s, author["ada"], [author["shown"]], False)
        gone = gallery.remix_recipe(s, author["t_shown"])
    assert recipe == {"model": "local-preview", "prompt": "", "size": "square", "num_images": 1, "seed": None,
                      "operation": "t2i"}
    assert shown is not None and shown["prompt"] == "an open harbour at dawn" and shown["seed"] is None
    assert gone is None  # private again: the old link remixes nothing
    with db() as s:
        assert gallery.remix_recipe(s, "not-a-token") is None


def test_the_author_can_show_the_prompt_again(db, author):
    bob = new_user(db, "bob@example.com")
    with db() as s:
        assert gallery.set_prompt_public(s, author["ada"], author["hidden"], True)
        assert SECRET in gallery.by_share_token(s, author["t_hidden"]).prompt
        with pytest.raises(Exception, match="image_not_found"):
            gallery.set_prompt_public(s, bob, author["hidden"], False)  # not Bob's choice to make


def test_a_profile_lists_only_public_images_with_their_likes(db, author):
    fan = new_user(db, "fan@example.com")
    with db() as s:
        gallery.like(s, author["shown"], fan)
    with db() as s:
        profile = gallery.public_profile(s, f"{author['ada']}-any-old-slug", viewer_id=fan)
    assert profile is not None
    assert sorted(t.id for t in profile.page.items) == sorted([author["hidden"], author["shown"]])
    assert author["private"] not in [t.id for t in profile.page.items]
    assert (profile.name, profile.initials, profile.public_images, profile.total_likes) == ("Ada Lovelace", "AL", 2, 1)
    assert profile.path == f"/u/{author['ada']}-ada-lovelace"
    assert [t.liked for t in profile.page.items if t.id == author["shown"]] == [True]


def test_a_profile_without_public_images_reveals_no_name_and_bad_handles_find_nobody(db, author):
    quiet = new_user(db, "quiet@example.com")
    with db() as s:
        s.get(User, quiet).name = "Quiet Person"
        s.get(User, author["ada"]).disabled = True
    with db() as s:
        empty = gallery.public_profile(s, str(quiet))
        assert empty is not None and empty.page.items == [] and empty.name == "" and empty.public_images == 0
        assert "Quiet" not in repr(empty)  # enumerating /u/1, /u/2 ... learns no names
        assert gallery.public_profile(s, str(author["ada"])) is None  # disabled: gone with their images
        for handle in ("", "0", "-1", "abc", "12abc", "9" * 30, "1/../2", str(987_654_321)):
            assert gallery.public_profile(s, handle) is None, handle

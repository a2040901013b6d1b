"""The library's service layer: gallery pages, search, favourites, collections, sharing, likes, downloads.

Every function takes the database session first and, where it concerns someone's images, the signed-in
user's id; queries always filter by that owner, and an id that is missing or someone else's fails the same
way (UserError 'image_not_found' / 'collection_not_found'), so nobody learns what exists. Results are small
dataclasses with short-lived signed media URLs, ready for Reflex state. Nothing here commits: the caller's
unit of work (services.db.session_scope) does, and storage deletes wait for that commit.

    from palett.services.library import gallery
    with session_scope() as db:
        first = gallery.page(db, user.id, q="lighthouse", favorites=True)
        more = gallery.page(db, user.id, q="lighthouse", favorites=True, cursor=first.next_cursor)
"""

from palett.services.library.gallery._common import Tile, alt_text, model_label, operation_label
from palett.services.library.gallery.browse import (
    Facets,
    Filters,
    Neighbours,
    Option,
    Page,
    facets,
    neighbours,
    page,
    page_of,
    tiles,
)
from palett.services.library.gallery.collection import (
    CollectionRef,
    CollectionView,
    add_images,
    collections_of,
    create_collection,
    delete_collection,
    list_collections,
    remove_images,
    rename_collection,
)
from palett.services.library.gallery.detail import ImageDetail, detail
from palett.services.library.gallery.downloads import FORMATS, Archive, Converted, convert, export_data, zip_images
from palett.services.library.gallery.edits import Visibility, delete_images, set_favorite, set_prompt_public, set_public
from palett.services.library.gallery.profiles import PublicProfile, public_profile, remix_recipe, user_id_of
from palett.services.library.gallery.search import prompt_matches, terms
from palett.services.library.gallery.sharing import (
    ExplorePage,
    LikeState,
    PublicImage,
    PublicTile,
    by_share_token,
    display_name,
    explore,
    like,
    profile_path,
    public_image,
    unlike,
)
from palett.services.library.ownership import MAX_SELECTION

__all__ = [
    "FORMATS",
    "MAX_SELECTION",
    "Archive",
    "CollectionRef",
    "CollectionView",
    "Converted",
    "ExplorePage",
    "Facets",
    "Filters",
    "ImageDetail",
    "LikeState",
    "Neighbours",
    "Option",
    "Page",
    "PublicImage",
    "PublicProfile",
    "PublicTile",
    "Tile",
    "Visibility",
    "add_images",
    "alt_text",
    "by_share_token",
    "collections_of",
    "convert",
    "create_collection",
    "delete_collection",
    "delete_images",
    "detail",
    "display_name",
    "explore",
    "export_data",
    "facets",
    "like",
    "list_collections",
    "model_label",
    "neighbours",
    "operation_label",
    "page",
    "page_of",
    "profile_path",
    "prompt_matches",
    "public_image",
    "public_profile",
    "remix_recipe",
    "remove_images",
    "rename_collection",
    "set_favorite",
    "set_prompt_public",
    "set_public",
    "terms",
    "tiles",
    "unlike",
    "user_id_of",
    "zip_images",
]

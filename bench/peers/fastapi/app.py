# SPDX-License-Identifier: Apache-2.0
"""The `recipe` flow of examples/recipe as a FastAPI + Pydantic service, for bench/peers/run.sh.

POST /recipe {"data": RecipeInput} -> {"result": Recipe}, the same schemas as the C RecipeInput /
Recipe. The in-process mock model answers what genkit-c's embedded local model answers, byte for
byte, as JSON text; the flow parses and validates it with Pydantic (as a structured-output
generate call does), and FastAPI validates the response model again on the way out.

Run with Debian's packages (python3-fastapi, python3-pydantic, python3-uvicorn):
    /usr/bin/python3 -m uvicorn app:app --app-dir bench/peers/fastapi --port 18083 --workers 2
"""
import json
from typing import List, Optional

from fastapi import FastAPI
from pydantic import BaseModel, Field

CHEF = "You are a chef who writes clear, simple home recipes."


class RecipeInput(BaseModel):
    """What to cook."""

    ingredient: str = Field(..., min_length=1, max_length=100, description="Main ingredient")
    dietaryRestrictions: Optional[str] = Field(
        None, max_length=200, description="e.g. vegetarian, vegan, gluten-free"
    )


class Recipe(BaseModel):
    """A recipe."""

    title: str = Field(..., description="Name of the dish")
    description: str = Field(..., description="One-sentence summary")
    prepTime: str = Field(..., description="e.g. 10 minutes")
    cookTime: str = Field(..., description="e.g. 25 minutes")
    servings: int = Field(..., ge=1, description="Number of servings")
    ingredients: List[str] = Field(..., description="Ingredients with quantities")
    instructions: List[str] = Field(..., description="Steps in order")
    tips: Optional[List[str]] = Field(None, description="Optional tips")


class RecipeRequest(BaseModel):
    data: RecipeInput


class RecipeResponse(BaseModel):
    result: Recipe


def topic_of(prompt: str) -> str:
    """The prompt's first sentence or line, at most 40 characters cut at a word boundary, with
    whitespace folded: what plugins/local quotes in every generated string."""
    out = []
    last_space = 0
    cut = False
    for i, c in enumerate(prompt):
        space = c in " \t\n\r"
        if out and c in "\n\r":
            break
        if out and c in ".!?" and (i + 1 == len(prompt) or prompt[i + 1].isspace()):
            break
        if space and (not out or out[-1] == " "):
            continue
        if len(out) == 40:
            cut = True
            break
        if space:
            last_space = len(out)
        out.append(" " if space else c)
    if cut and last_space > 0:
        out = out[:last_space]
    return "".join(out).rstrip()


async def mock_model(system: str, prompt: str) -> str:
    """The in-process mock model: the Recipe JSON text the local model generates for prompt."""
    t = topic_of(prompt)

    def items(name: str) -> List[str]:
        return [f"{name} {i} ({t})" for i in (1, 2, 3)]

    return json.dumps(
        {
            "title": f"Title ({t})",
            "description": f"Description ({t})",
            "prepTime": f"Prep time ({t})",
            "cookTime": f"Cook time ({t})",
            "servings": 2,
            "ingredients": items("Ingredients"),
            "instructions": items("Instructions"),
            "tips": items("Tips"),
        },
        separators=(",", ":"),
    )


def recipe_prompt(ingredient: str, restrictions: Optional[str]) -> str:
    return (
        f"Create a recipe with {ingredient}.\n"
        + (f"Dietary restrictions: {restrictions}.\n" if restrictions else "")
        + "Give it a title, a one-sentence description, prep and cook times, the number of "
        "servings, the ingredients with quantities, the instructions as short steps in order, "
        "and a few tips."
    )


app = FastAPI()


@app.post("/recipe", response_model=RecipeResponse, response_model_exclude_none=True)
async def recipe(req: RecipeRequest) -> RecipeResponse:
    text = await mock_model(CHEF, recipe_prompt(req.data.ingredient, req.data.dietaryRestrictions))
    return RecipeResponse(result=Recipe.parse_raw(text))
